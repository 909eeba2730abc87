"""Shared fixtures: real, migrated databases (no mocks).

By default each test module gets a fresh SQLite file. With TEST_DATABASE_URL set (e.g.
postgresql://postgres@127.0.0.1:5432/postgres) each gets a fresh, uniquely named
PostgreSQL database instead, created through the server's `postgres` database and
dropped afterwards.

    db_url        module: a migrated, empty database (its URL)
    seeded_db     module: db_url with the demo shop seeded at NOW (returns the summary)
    session       function: a Session on the seeded database, rolled back after the test
    new_db_url    function: a factory for further fresh migrated databases
"""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot import db as bot_db  # noqa: E402
from bot import migrate  # noqa: E402
from tests.fixtures import TEST_NOW as NOW  # noqa: E402  Thursday 2026-11-26 12:00 KST

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def _dispose(url: str) -> None:
    engine = bot_db._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


class _Databases:
    """Creates fresh databases and removes them again."""

    def __init__(self, tmp_dir: Path):
        self.tmp_dir = tmp_dir
        self.created: list[str] = []

    def create(self) -> str:
        if TEST_DATABASE_URL:
            server = make_url(TEST_DATABASE_URL)
            name = f"test_shop_{os.getpid()}_{uuid.uuid4().hex[:10]}"
            admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
            finally:
                admin.dispose()
            url = server.set(database=name).render_as_string(hide_password=False)
        else:
            path = self.tmp_dir / f"shop_{uuid.uuid4().hex[:8]}.db"
            url = f"sqlite:///{path}"
        self.created.append(url)
        migrate.upgrade(url)
        return url

    def drop_all(self) -> None:
        for url in self.created:
            _dispose(url)
            if is_postgres(url):
                name = make_url(url).database
                admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT",
                                      future=True)
                try:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                finally:
                    admin.dispose()
        self.created.clear()


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    dbs = _Databases(tmp_path_factory.mktemp("db"))
    try:
        yield dbs.create()
    finally:
        dbs.drop_all()


@pytest.fixture
def new_db_url(tmp_path):
    """A factory: each call returns the URL of another fresh migrated database."""
    dbs = _Databases(tmp_path)
    try:
        yield dbs.create
    finally:
        dbs.drop_all()


@pytest.fixture(scope="module")
def seeded_db(db_url):
    from bot.demo import seed

    with bot_db.session_scope(db_url) as s:
        summary = seed(s, NOW)
    return summary


@pytest.fixture
def session(db_url, seeded_db):
    """A session on the seeded database; whatever the test does is rolled back."""
    s = bot_db.make_session(db_url)
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def now():
    return NOW


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The real stack (action server, Rasa, gateway) once per test session: see tests/stack.py."""
    from bot.stack import stop_stack
    from tests.stack import start

    tmp = tmp_path_factory.mktemp("stack")
    dbs = _Databases(tmp)  # SQLite by default, a fresh PostgreSQL database with TEST_DATABASE_URL
    running, procs = start(tmp, dbs.create())
    try:
        yield running
    finally:
        stop_stack(procs)
        dbs.drop_all()
