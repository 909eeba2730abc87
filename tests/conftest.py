"""Shared fixtures: real, migrated databases (no mocks), made by tests/databases.py.

By default each test module gets a fresh SQLite file; with TEST_DATABASE_URL set, a fresh
PostgreSQL database. Helpers the tests import live in normal modules: tests/databases.py,
tests/fixtures.py (seeded-order finders, snapshots), tests/stack.py (the real stack).

    db_url        module: a migrated, empty database (its URL)
    seeded_db     module: db_url with the demo (shop and staff) seeded at NOW (returns the summary)
    session       function: a Session on the seeded database, rolled back after the test
    new_db_url    function: a factory for further fresh migrated databases
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot import db as bot_db  # noqa: E402
from tests.databases import Databases  # noqa: E402
from tests.fixtures import TEST_NOW as NOW  # noqa: E402  Thursday 2026-11-26 12:00 KST


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    dbs = Databases(tmp_path_factory.mktemp("db"))
    try:
        yield dbs.create()
    finally:
        dbs.drop_all()


@pytest.fixture
def new_db_url(tmp_path):
    """A factory: each call returns the URL of another fresh migrated database."""
    dbs = Databases(tmp_path)
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
    from tests.stack import own_stack

    with own_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


def pytest_collection_modifyitems(items):
    """The studio's browser test reuses the model the studio's integration test trained in the same
    run (one training per run; tests/e2e sorts before tests/integration): it runs last."""
    last = [item for item in items if item.nodeid.startswith("tests/e2e/test_studio_browser.py")]
    if last:
        items[:] = [item for item in items if item not in last] + last
