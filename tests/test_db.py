"""The database engine: connections that died while idle are replaced before use."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot import db as dbmod
from bot.db import make_engine
from tests.conftest import PG_URL, worker_database

pytestmark = pytest.mark.postgres


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL: set LOA_TEST_DATABASE_URL to run this")
def test_a_connection_the_server_killed_while_idle_is_replaced(monkeypatch):
    """A PostgreSQL restart kills idle pooled connections: the next call still works."""
    url = worker_database(PG_URL)
    dbmod.fresh_postgres(url)
    engine, killer = make_engine(url), make_engine(url)
    with engine.connect() as connection:
        dead = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with killer.connect() as connection:
        assert connection.execute(text(f"SELECT pg_terminate_backend({dead})")).scalar()
    monkeypatch.setattr(dbmod, "IDLE_PING", 0.0)  # it sat idle long enough to be tested
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != dead
    engine.dispose()
    killer.dispose()
