"""The real server (uvicorn, a child process) killed with SIGKILL while 64 clients submit 500
survey responses, then started again: every response acknowledged with 201 is stored with all
its answers, and a resent submission is stored once. The full run (5,000 submissions, several
kills, SQLite and PostgreSQL) is `python bench/faults.py`."""

from pathlib import Path

import pytest

from bench.faults import survey_faults

pytestmark = pytest.mark.slow


def test_nothing_acknowledged_is_lost_when_the_server_is_killed(
    database_url: str, tmp_path: Path
) -> None:
    name = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    line = survey_faults(
        name, database_url, n=500, clients=64, kills=1, log=tmp_path / "server.log", prepared=True
    )
    assert line["kills"] == 1
    assert line["resent"] > 0, line  # the kill did cut requests short
    assert line["lost"] == 0, line
    assert line["duplicates"] == 0, line
    assert line["refused"] == 0, line
    assert line["rows"] == line["submissions"] == line["acknowledged"] + line["replayed"], line
