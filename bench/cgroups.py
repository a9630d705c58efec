"""CPU budgets and CPU accounting per emulated host for bench/scale_out.py.

Each host gets a control group: its processes (and everything they start) are counted there,
and a worker host can be held to a fraction of one core, as a small virtual machine is. Both
the cgroup v1 layout (separate `cpu` and `cpuacct` hierarchies) and the unified v2 layout are
handled; the groups are removed when the host is.
"""

import contextlib
import os
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000


def _v1() -> bool:
    return (ROOT / "cpu" / "cpu.cfs_quota_us").exists() and (ROOT / "cpuacct").is_dir()


class HostGroup:
    """One host's control group(s)."""

    def __init__(self, name: str) -> None:
        if _v1():
            self.cpu = ROOT / "cpu" / name
            self.acct = ROOT / "cpuacct" / name
            dirs = [self.cpu, self.acct]
        elif (ROOT / "cgroup.controllers").exists():
            with contextlib.suppress(OSError):  # already enabled, or not ours to enable
                (ROOT / "cgroup.subtree_control").write_text("+cpu")
            self.cpu = self.acct = ROOT / name
            dirs = [self.cpu]
        else:
            raise RuntimeError("no cgroup file system at /sys/fs/cgroup: CPU budgets need one")
        for path in dirs:
            path.mkdir(exist_ok=True)
        self.dirs = dirs

    def limit(self, cores: float) -> None:
        """Hold the group to `cores` of CPU time per wall second."""
        quota = str(int(cores * PERIOD_US))
        if self.cpu == self.acct and not _v1():
            (self.cpu / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        else:
            (self.cpu / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.cpu / "cpu.cfs_quota_us").write_text(quota)

    def join(self) -> None:
        """Move the calling process into the group (a child, before it execs)."""
        for path in self.dirs:
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def cpu_seconds(self) -> float:
        """CPU time used by everything that ran in the group so far."""
        if _v1():
            return int((self.acct / "cpuacct.usage").read_text()) / 1e9
        for line in (self.acct / "cpu.stat").read_text().splitlines():
            key, value = line.split()
            if key == "usage_usec":
                return int(value) / 1e6
        return 0.0

    def remove(self) -> None:
        for path in self.dirs:
            with contextlib.suppress(OSError):
                path.rmdir()


def leave() -> None:
    """Move the calling process back to the root group (so its own group can be removed)."""
    parents = [ROOT / "cpu", ROOT / "cpuacct"] if _v1() else [ROOT]
    for parent in parents:
        with contextlib.suppress(OSError):
            (parent / "cgroup.procs").write_text(str(os.getpid()))


def remove_stale(prefix: str) -> None:
    """Delete groups an interrupted run left (empty once its processes are gone)."""
    parents = [ROOT / "cpu", ROOT / "cpuacct"] if _v1() else [ROOT]
    for parent in parents:
        if not parent.is_dir():
            continue
        for path in parent.glob(f"{prefix}-*"):
            with contextlib.suppress(OSError):
                path.rmdir()
