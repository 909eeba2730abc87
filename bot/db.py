"""Database engine and sessions shared by the shop, the handoff desk and the gateway.

`DATABASE_URL` selects the database; the default is a SQLite file under `var/`.
All tables (shop and app) hang off the one `Base.metadata`; Alembic migrates it.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker
from sqlalchemy.pool import QueuePool

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"  # local state: the default database, generated secrets, logs
DEFAULT_URL = f"sqlite:///{VAR / 'shop.db'}"

# Named constraints, so that Alembic batch migrations on SQLite can find them again.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

_engines: dict[str, Engine] = {}


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def utcnow() -> datetime:
    """Naive UTC: every timestamp in the database is naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def get_engine(url: Optional[str] = None) -> Engine:
    url = url or database_url()
    engine = _engines.get(url)
    if engine is None:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # A file database keeps its connections (SQLAlchemy 1.4 opened and closed one per
            # session, with its pragmas: a fifth of the gateway's CPU per message); a pooled
            # connection serves one thread at a time, so it may move between threads.
            pooled = {"poolclass": QueuePool} if path and path != ":memory:" else {}
            engine = create_engine(url, future=True, connect_args={"timeout": 30, "check_same_thread": False},
                                   **pooled)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, future=True, pool_pre_ping=True)
        _engines[url] = engine
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


# One session factory per database (building one costs more than the session it makes), rebuilt
# when its engine was replaced (the tests dispose of theirs).
_sessionmakers: dict[str, sessionmaker] = {}


def make_session(url: Optional[str] = None) -> Session:
    url = url or database_url()
    engine = get_engine(url)
    factory = _sessionmakers.get(url)
    if factory is None or factory.kw["bind"] is not engine:
        factory = _sessionmakers[url] = sessionmaker(bind=engine, future=True, expire_on_commit=False)
    return factory()


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = make_session(url)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
