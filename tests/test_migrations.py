"""The schema is made only by Alembic: from empty to head, and it matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import models  # noqa: F401
from bot.migrate import upgrade


def test_upgrade_from_empty_then_models_and_migrations_agree(db_url):
    upgrade(db_url)
    upgrade(db_url)  # a second run is a no-op
    from bot.db import make_engine

    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                SQLModel.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"area", "user", "invite", "dialog", "alembic_version"} <= tables


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    from bot.db import Database

    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()
