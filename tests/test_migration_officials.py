"""Migration 0008: each register entry's one official moves into register_entry_official."""

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from models.migrate import alembic_config

ROWS = """
insert into organization (id, name) values (1, 'Рада');
insert into unit (id, organization_id, name, kind) values (1, 1, 'Відділ', 'executive_unit');
insert into official (id, organization_id, full_name, position)
    values (1, 1, 'Коваль Олена', 'спеціаліст'), (2, 1, 'Бойко Марта', 'начальниця');
insert into register_entry (id, organization_id, number, name, official_id, source, legal_basis,
    period_base, period_as_needed, period_unscheduled, periodicity_note)
    values (1, 1, 1, 'A', 2, 'local', '', 'annual', 0, 0, ''),
           (2, 1, 2, 'B', null, 'local', '', 'annual', 0, 0, ''),
           (3, 1, 3, 'C', 1, 'local', '', 'annual', 0, 0, '');
insert into register_entry_unit (entry_id, unit_id) values (1, 1), (2, 1), (3, 1);
"""


def test_officials_move_to_the_association_table_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0007")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in ROWS.split(";"):
                if statement.strip():
                    conn.execute(text(statement))
        command.upgrade(config, "0008")
        with engine.connect() as conn:
            links = conn.execute(
                text("select entry_id, official_id, position from register_entry_official")
            ).all()
            columns = {r[1] for r in conn.execute(text("pragma table_info(register_entry)"))}
            units = conn.execute(text("select count(*) from register_entry_unit")).scalar()
        assert sorted(links) == [(1, 2, 0), (3, 1, 0)]
        assert "official_id" not in columns
        assert units == 3  # rebuilding register_entry cascaded to nothing

        with engine.begin() as conn:
            conn.execute(text("insert into register_entry_official values (1, 1, 1)"))
        command.downgrade(config, "0007")
        with engine.connect() as conn:
            kept = conn.execute(text("select id, official_id from register_entry order by id"))
            assert kept.all() == [(1, 2), (2, None), (3, 1)]  # the first of each entry
            assert conn.execute(text("select count(*) from register_entry_unit")).scalar() == 3
    finally:
        engine.dispose()
