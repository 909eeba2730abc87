"""Actions run against a real database seeded for *today* (the actions read the real clock).

The tests drive them with tests/actions/chat.py."""
from __future__ import annotations

from typing import Dict

import pytest

from bot import db as bot_db
from bot.db import utcnow
from tests.fixtures import customer1_orders, snapshot


@pytest.fixture
def shop(new_db_url, monkeypatch):
    """A freshly seeded shop; the actions' default database for this test."""
    from bot.demo import seed

    url = new_db_url()
    now = utcnow()
    with bot_db.session_scope(url) as s:
        seed(s, now)
    monkeypatch.setenv("DATABASE_URL", url)
    return Shop(url)


class Shop:
    def __init__(self, url: str) -> None:
        self.url = url

    def session(self):
        return bot_db.session_scope(self.url)

    def orders(self) -> Dict[str, str]:
        with self.session() as s:
            return {k: v.id for k, v in customer1_orders(s, utcnow()).items()}

    def snapshot(self) -> dict:
        with self.session() as s:
            return snapshot(s)
