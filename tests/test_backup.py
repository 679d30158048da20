"""`loa backup FILE`: a consistent copy of the SQLite database while Loa may be writing, and a
clear word for PostgreSQL (pg_dump)."""

import sqlite3

from bot.cli import main
from bot.db import Database
from bot.migrate import upgrade
from tests.conftest import load_examples


def backup(monkeypatch, url, *args):
    monkeypatch.setenv("LOA_DATABASE_URL", url)
    monkeypatch.delenv("LOA_CONFIG", raising=False)
    return main(["backup", *args])


def test_a_sqlite_database_is_copied_whole(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'loa.db'}"
    upgrade(url)
    db = Database(url)
    load_examples(db)
    db.dispose()
    copy = tmp_path / "backup.db"
    assert backup(monkeypatch, url, str(copy)) == 0
    assert capsys.readouterr().out.startswith(f"{copy}: ")
    with sqlite3.connect(copy) as conn:
        areas = conn.execute("SELECT count(*) FROM area").fetchone()[0]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with sqlite3.connect(tmp_path / "loa.db") as conn:
        assert areas == conn.execute("SELECT count(*) FROM area").fetchone()[0] > 0
    assert backup(monkeypatch, url, str(copy)) == 1  # never over an existing file
    assert "exists" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.part"))


def test_postgresql_is_pointed_to_pg_dump(monkeypatch, capsys, tmp_path):
    assert backup(monkeypatch, "postgresql+psycopg://loa@127.0.0.1:1/loa",
                  str(tmp_path / "x.db")) == 1
    assert "pg_dump" in capsys.readouterr().err
