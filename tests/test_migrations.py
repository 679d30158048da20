"""The schema is made only by Alembic: from empty to head, and it matches the models."""

import json

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import models  # noqa: F401
from bot.db import make_engine
from bot.migrate import alembic_config, upgrade


def test_upgrade_from_empty_then_models_and_migrations_agree(db_url):
    upgrade(db_url)
    upgrade(db_url)  # a second run is a no-op

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


def test_media_columns_become_lists_and_come_back(db_url):
    """0013 moves a broadcast's photo and a campaign's document into the new lists, and back."""

    from bot.db import make_engine

    upgrade(db_url, "0012")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO area (id, code, name, level, path, search_name) "
                          "VALUES (1, 'X', 'Xã', 'xã', '1/', 'xa')"))
        conn.execute(text(
            "INSERT INTO broadcast (id, area_id, roles, text, media_kind, media_file_id, paid, "
            "status, recipients, created_at) VALUES (1, 1, 'citizen', 'a', 'photo', 'PHO1', "
            "false, 'done', 0, '2026-01-01'), (2, 1, 'citizen', 'b', NULL, NULL, false, "
            "'done', 0, '2026-01-01')"))
        conn.execute(text(
            "INSERT INTO campaign (id, name, description, attachment_kind, attachment_file_id, "
            "area_id, starts_on, ends_on, money_target, status, ref_prefix, last_number, "
            "created_at) VALUES (1, 'C', '', 'document', 'DOC1', 1, '2026-01-01', "
            "'2026-02-01', 0, 'open', 'X26', 0, '2026-01-01')"))
    upgrade(db_url)

    def read(query):
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]
    media = {i: json.loads(m) if isinstance(m, str) else m
             for i, m in read("SELECT id, media FROM broadcast ORDER BY id")}
    assert media == {1: [{"kind": "photo", "file_id": "PHO1"}], 2: None}
    attachment = read("SELECT attachment FROM campaign")[0][0]
    assert (json.loads(attachment) if isinstance(attachment, str) else attachment) == [
        {"kind": "document", "file_id": "DOC1"}]
    command.downgrade(alembic_config(db_url), "0012")
    assert read("SELECT media_kind, media_file_id FROM broadcast ORDER BY id") == [
        ("photo", "PHO1"), (None, None)]
    assert read("SELECT attachment_kind, attachment_file_id FROM campaign") == [
        ("document", "DOC1")]
    engine.dispose()
