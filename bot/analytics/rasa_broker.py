"""Rasa's SQL event broker, writing a turn's events in one transaction.

Rasa 3.6's `SQLEventBroker` opens a connection (SQLAlchemy 1.4 does not pool SQLite files),
inserts one event and commits, for every event: a turn has about ten, and under load this was
about 40 % of the Rasa server's CPU per message. This broker keeps its connections and writes
the events published together (the tracker store publishes a turn's new events in one loop)
in one transaction, as soon as that loop is done (the next pass of Rasa's event loop). Same
table, same rows: the gateway's consumer (bot.analytics.consumer) reads them unchanged.

Runs inside the Rasa server: Rasa loads it by its module path from the endpoints file
(bot.analytics.consumer.endpoint_lines).
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Dict, List, Optional, Text

import sqlalchemy
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore

from bot.db import _sqlite_pragmas

log = logging.getLogger(__name__)

RETRY_S = 1.0


class TurnSQLEventBroker(SQLEventBroker):
    """`SQLEventBroker` (same table) with pooled connections and one commit per batch of events."""

    def __init__(self, dialect: Text = "sqlite", host: Optional[Text] = None, port: Optional[int] = None,
                 db: Text = "events.db", username: Optional[Text] = None, password: Optional[Text] = None) -> None:
        url = SQLTrackerStore.get_db_url(dialect, host, port, db, username, password)
        if str(url).startswith("sqlite"):
            self.engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.QueuePool,
                                                   connect_args={"timeout": 30, "check_same_thread": False})
            sqlalchemy.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sqlalchemy.create_engine(url, pool_pre_ping=True)
        self.Base.metadata.create_all(self.engine)
        self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)
        self._pending: List[Dict[str, Any]] = []
        self._scheduled = False

    def publish(self, event: Dict[Text, Any]) -> None:
        """Queued, then written with the others published before the event loop's next pass
        (at once when no event loop runs)."""
        self._pending.append({"sender_id": event.get("sender_id"), "data": json.dumps(event)})
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush_soon, loop)

    def _flush_soon(self, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduled = False
        try:
            self.flush()
        except Exception:  # kept, tried again: the consumer must see every event
            log.exception("event broker: %d events not written yet, retrying in %.0f s", len(self._pending), RETRY_S)
            if not self._scheduled:
                self._scheduled = True
                loop.call_later(RETRY_S, self._flush_soon, loop)

    def flush(self) -> None:
        """Write the queued events in one transaction (kept queued if it fails)."""
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        try:
            with self.engine.begin() as conn:
                conn.execute(self.SQLBrokerEvent.__table__.insert(), rows)
        except BaseException:
            self._pending = rows + self._pending
            raise

    async def close(self) -> None:
        self.flush()
