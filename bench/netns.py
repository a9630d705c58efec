"""Hosts on one machine for bench/scale_out.py: Linux network namespaces on a private bridge.

Every host is a network namespace with one veth link to a bridge that lives in its own
namespace (nothing is added to the machine's own network). Addresses are in the loopback range
(127.19.0.0/24): inside each host `route_localnet` lets them travel over the veth, and the
host's own loopback keeps only 127.0.0.1, so 127.0.0.1 in one host never reaches another.
Nothing can leave the machine: the bridge has no uplink. Processes run with `ip netns exec`
and are stopped, with their whole process tree, by `Cluster.close()`. Each host is also a
control group (bench/cgroups.py): its CPU time is counted, and it can be held to a CPU budget.
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.cgroups import HostGroup, leave
from bench.cgroups import remove_stale as remove_stale_groups

PREFIX = "iaso19"
SUBNET = "127.19.0"
CLONE_NEWNET = 0x40000000


def _ip(*args: str, check: bool = True) -> None:
    subprocess.run(["ip", *args], check=check, capture_output=True)


def descendants(pid: int) -> list[int]:
    """The pid and every process under it (from /proc), children last."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def kill_tree(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal a process and everything it started (a host losing power: SIGKILL)."""
    for member in descendants(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, sig)


@dataclass
class Host:
    """One network namespace with one address."""

    name: str
    address: str

    @property
    def netns(self) -> str:
        return f"{PREFIX}-{self.name}"


@dataclass
class Cluster:
    """The namespaces, the bridge between them and the processes started in them."""

    hosts: dict[str, Host] = field(default_factory=dict)
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    groups: dict[str, HostGroup] = field(default_factory=dict)
    logs: Path = Path("/tmp")

    def build(self, names: Sequence[str], logs: Path) -> None:
        """Create the switch and one namespace per host name, addresses .2, .3, …"""
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.remove_stale()
        switch = f"{PREFIX}-sw"
        _ip("netns", "add", switch)
        _ip("-n", switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", switch, "link", "set", "br0", "up")
        for number, name in enumerate(names, start=2):
            host = Host(name, f"{SUBNET}.{number}")
            self.hosts[name] = host
            self.groups[name] = HostGroup(host.netns)
            inner, outer = f"{PREFIX}{number}", f"{PREFIX}{number}p"
            _ip("netns", "add", host.netns)
            _ip("link", "add", inner, "type", "veth", "peer", "name", outer)
            _ip("link", "set", inner, "netns", host.netns)
            _ip("link", "set", outer, "netns", switch)
            _ip("-n", switch, "link", "set", outer, "master", "br0", "up")
            subprocess.run(
                ["ip", "netns", "exec", host.netns, "sysctl", "-qw"]
                + [f"net.ipv4.conf.{i}.route_localnet=1" for i in ("all", "default", inner)],
                check=True,
            )
            _ip("-n", host.netns, "link", "set", "lo", "up")
            # Loopback keeps 127.0.0.1 only: the rest of 127/8 goes over the veth.
            _ip(
                "-n",
                host.netns,
                "route",
                "del",
                "local",
                "127.0.0.0/8",
                "dev",
                "lo",
                "table",
                "local",
            )
            _ip(
                "-n",
                host.netns,
                "route",
                "replace",
                "local",
                "127.0.0.1",
                "dev",
                "lo",
                "table",
                "local",
            )
            _ip("-n", host.netns, "addr", "add", f"{host.address}/24", "dev", inner)
            _ip("-n", host.netns, "link", "set", inner, "up")

    def enter(self, name: str) -> None:
        """Move this process (its main thread: call before starting threads) into a host."""
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        with open(f"/var/run/netns/{self.hosts[name].netns}") as handle:
            if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns failed")

    def start(
        self,
        name: str,
        label: str,
        command: Sequence[str],
        env: dict[str, str],
        *,
        user: str | None = None,
    ) -> subprocess.Popen[bytes]:
        """Run a command in a host (and its control group), its output in logs/<label>.log."""
        prefix = ["ip", "netns", "exec", self.hosts[name].netns]
        if user is not None:
            prefix += ["runuser", "-u", user, "--"]
        log = (self.logs / f"{label}.log").open("ab")
        proc = subprocess.Popen(
            [*prefix, *command],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=self.groups[name].join,
        )
        log.close()
        self.processes.append((label, proc))
        return proc

    def limit_cpu(self, name: str, cores: float) -> None:
        """Give a host `cores` of CPU (a fraction of one core for a small virtual machine)."""
        self.groups[name].limit(cores)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time each host has used so far."""
        return {name: round(group.cpu_seconds(), 1) for name, group in self.groups.items()}

    def stop(self, label: str, sig: int = signal.SIGTERM) -> None:
        """Stop the processes started under `label`, with their trees."""
        for name, proc in self.processes:
            if name == label and proc.poll() is None:
                kill_tree(proc.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=20)
                kill_tree(proc.pid, signal.SIGKILL)
                proc.wait()

    def close(self) -> None:
        """Stop every process (newest first) and remove every namespace."""
        for _label, proc in reversed(self.processes):
            if proc.poll() is None:
                kill_tree(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _label, proc in reversed(self.processes):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            kill_tree(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        self.processes.clear()
        self.remove_stale()
        leave()  # the driver may have joined a host's group
        for group in self.groups.values():
            group.remove()
        self.groups.clear()

    @staticmethod
    def remove_stale() -> None:
        """Delete this bench's namespaces (left by an earlier run, or ours)."""
        listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        for line in listing.splitlines():
            name = line.split()[0] if line.strip() else ""
            if name.startswith(f"{PREFIX}-"):
                pids = subprocess.run(
                    ["ip", "netns", "pids", name], capture_output=True, text=True
                ).stdout.split()
                for pid in pids:  # anything an interrupted run left inside, but not us
                    if int(pid) != os.getpid():
                        kill_tree(int(pid))
                _ip("netns", "del", name, check=False)
        remove_stale_groups(PREFIX)
