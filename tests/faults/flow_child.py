"""What a fault test's child process runs: a flow, as a worker would, until it is killed.

python -m tests.faults.flow_child render CYCLE_ID NOW_ISO
python -m tests.faults.flow_child portal-jobs 0 NOW_ISO
"""

import sys
from datetime import datetime


def main(argv: list[str]) -> int:
    """Run the named flow with its arguments."""
    kind, cycle_id, now = argv[0], int(argv[1]), datetime.fromisoformat(argv[2])
    if kind == "render":
        from flows.report import render_report

        render_report(cycle_id, now)
        return 0
    if kind == "portal-jobs":
        from flows.portal_jobs import run_portal_jobs

        run_portal_jobs(now)
        return 0
    raise SystemExit(f"unknown flow {kind}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
