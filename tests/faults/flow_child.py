"""The process a fault test kills: a flow run, as a worker runs it, forked from a launcher that
has the flows imported (bench/forking.py).

    python -m tests.faults.flow_child --launcher    # then `start render CYCLE_ID NOW_ISO`
                                                    # or `start portal-jobs 0 NOW_ISO`
                                                    # or `start reminders CYCLE_ID NOW_ISO`
"""

import sys
from datetime import datetime


def run(args: list[str]) -> None:
    """Run the named flow with its arguments."""
    kind, cycle_id, now = args[0], int(args[1]), datetime.fromisoformat(args[2])
    if kind == "render":
        from flows.report import render_report

        render_report(cycle_id, now)
    elif kind == "portal-jobs":
        from flows.portal_jobs import run_portal_jobs

        run_portal_jobs(now)
    elif kind == "reminders":
        from flows.reminders import questionnaire_reminders

        questionnaire_reminders(cycle_id, now)
    else:
        raise SystemExit(f"unknown flow {kind}")


if __name__ == "__main__":
    assert sys.argv[1:] == ["--launcher"]
    import flows.portal_jobs  # noqa: F401 (the preload: each forked run finds them imported)
    import flows.reminders  # noqa: F401
    import flows.report  # noqa: F401
    from bench.forking import serve_forks

    serve_forks(run)
