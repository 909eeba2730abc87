"""Fresh migrated databases for the tests, removed again afterwards.

By default a fresh SQLite file in a temporary folder. With TEST_DATABASE_URL set (e.g.
postgresql://postgres@127.0.0.1:5432/postgres) a fresh, uniquely named PostgreSQL database
instead, created through the server's `postgres` database and dropped afterwards.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot import db as bot_db
from bot import migrate

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def dispose(url: str) -> None:
    engine = bot_db._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


class Databases:
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
            dispose(url)
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
