"""The demo on a busy machine: `infoaudit demo` run 5 times while every core is kept busy.

Issue 16 found the demo failing 2 of 3 times on a busy fresh machine (Prefect's temporary
server gave up after 20 s). This runs the demo once on the machine as it is (the baseline),
then starts busy-loop processes (by default one per core, at least 2) and runs the demo N
times, each in a fresh directory, as a user would: `python -m api.cli demo --out DIR`.
Prints one JSON line: passes, runs, seconds per run, the baseline's seconds and the ratio of
the median loaded run to it. Every process it starts ends with it (api.lifetime).

    python bench/demo_under_load.py [--runs 5] [--burners N] [--no-baseline]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.lifetime import (  # noqa: E402
    die_with_parent,
    start_reaper,
    stop_on_signals,
    stop_process_group,
)

BUSY_LOOP = "while True: pass"
RUN_TIMEOUT_S = 1200


def _env() -> dict[str, str]:
    """A user's environment: none of this machine's INFOAUDIT_/PREFECT_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFOAUDIT_", "PREFECT_"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_demo(out: Path) -> dict[str, Any]:
    """One `infoaudit demo --out OUT`; its exit code, seconds and the report's size."""
    started = time.monotonic()
    log = out.with_suffix(".log")
    with log.open("wb") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "demo", "--out", str(out)],
            cwd=out.parent,
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        try:
            code = proc.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            stop_process_group(proc, timeout=10)
            code = -1
    report = out / "report.pdf"
    ok = code == 0 and report.exists() and report.read_bytes()[:5] == b"%PDF-"
    outcome: dict[str, Any] = {
        "ok": ok,
        "code": code,
        "seconds": round(time.monotonic() - started, 1),
    }
    if not ok:
        outcome["tail"] = log.read_text(encoding="utf-8", errors="replace")[-1500:]
    return outcome


def start_burners(count: int) -> list[subprocess.Popen[bytes]]:
    """`count` processes spinning a core each until stopped (or until we die)."""
    return [
        subprocess.Popen(
            [sys.executable, "-c", BUSY_LOOP],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        for _ in range(count)
    ]


def main() -> None:
    """Measure and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--burners", type=int, default=max(2, os.cpu_count() or 1))
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    stop_on_signals()
    start_reaper()

    with tempfile.TemporaryDirectory(prefix="demo-load-") as tmp:
        work = Path(tmp)
        baseline = None if args.no_baseline else run_demo(work / "baseline")
        burners = start_burners(args.burners)
        try:
            time.sleep(2)  # the load is on before the first run starts
            runs = [run_demo(work / f"run-{n}") for n in range(1, args.runs + 1)]
        finally:
            for burner in burners:
                stop_process_group(burner, timeout=5)

    seconds = [r["seconds"] for r in runs]
    result: dict[str, Any] = {
        "passes": sum(r["ok"] for r in runs),
        "runs": len(runs),
        "seconds": seconds,
        "burners": args.burners,
        "cpus": os.cpu_count(),
        "baseline_seconds": baseline["seconds"] if baseline else None,
        "baseline_ok": baseline["ok"] if baseline else None,
        "ratio": (
            round(statistics.median(seconds) / baseline["seconds"], 2)
            if baseline and baseline["ok"]
            else None
        ),
    }
    failures = [r for r in runs if not r["ok"]] + (
        [baseline] if baseline and not baseline["ok"] else []
    )
    if failures:
        result["failures"] = [{k: r[k] for k in ("code", "tail")} for r in failures]
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
