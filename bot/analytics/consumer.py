"""Rasa's event broker, both ends: what Rasa's endpoints say, and the consumers that store its events.

`EVENT_BROKER_URL` chooses the broker:
- unset: Rasa's SQL event broker on SQLite, `rasa_events.db` beside a SQLite app database (else
  `var/rasa_events-<database>.db`): the embedded default, no other service;
- `sqlite:///…` or `postgresql://…`: the SQL event broker on that database;
- `amqp://user:password@host:5672/`: the Pika broker to RabbitMQ (production), queue
  `EVENT_BROKER_QUEUE` (default `modu_analytics`), durable, bound to Rasa's fanout exchange.

The consumers store the events in the analytics store (bot.analytics.events.store), keyed so that
reading an event twice does nothing. The SQL tail keeps its cursor in the same transaction as the
events it stored and re-reads a short overlap each round (ids may commit out of order on a server
database); the RabbitMQ consumer acknowledges a batch only after it is committed, so a crash before
that means a redelivery, which the keys absorb.
"""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import unquote, urlparse

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.analytics.events import rasa_row, store
from bot.analytics.models import BrokerCursor
from bot.db import VAR, get_engine, session_scope

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "modu_analytics"
RASA_EXCHANGE = "rasa-exchange"  # the fanout exchange Rasa's Pika broker publishes to
OVERLAP = 200  # rows re-read each round: a row committed late below the cursor is still seen
BATCH = 1000
# Rasa's SQL broker with one transaction per turn (same table and rows): loaded by Rasa by its path.
SQL_BROKER = "bot.analytics.rasa_broker.TurnSQLEventBroker"


def broker_url(env: Mapping[str, str]) -> str:
    url = env.get("EVENT_BROKER_URL")
    if url:
        return url
    app = make_url(env.get("DATABASE_URL") or f"sqlite:///{VAR / 'shop.db'}")
    if app.drivername.startswith("sqlite") and app.database and app.database != ":memory:":
        return f"sqlite:///{Path(app.database).resolve().parent / 'rasa_events.db'}"
    name = f"rasa_events-{app.database or 'app'}.db"
    return f"sqlite:///{VAR / name}"


def is_amqp(url: str) -> bool:
    return url.startswith(("amqp://", "amqps://"))


def endpoint_lines(env: Mapping[str, str]) -> List[str]:
    """The `event_broker:` section of Rasa's endpoints file."""
    url = broker_url(env)
    if is_amqp(url):
        u = urlparse(url)
        return ["event_broker:", "  type: pika", f"  url: {u.hostname}", f"  port: {u.port or 5672}",
                f"  username: {unquote(u.username or 'guest')}", f"  password: {unquote(u.password or 'guest')}",
                "  queues:", f"    - {env.get('EVENT_BROKER_QUEUE', DEFAULT_QUEUE)}"]
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return ["event_broker:", f"  type: {SQL_BROKER}", f'  url: "{url}"']


# --- the SQL event broker ---------------------------------------------------------------------
def ingest_sql_broker(app_url: str, source_url: str, limit: int = BATCH) -> int:
    """Store the SQL broker's events after our cursor; returns how many rows were read.
    The broker's table exists once Rasa has started; before that there is nothing to read."""
    source = get_engine(source_url)
    with session_scope(app_url) as session:
        cursor = session.get(BrokerCursor, source_url)
        position = cursor.position if cursor else 0
        try:
            with source.connect() as conn:
                batch = conn.execute(text("SELECT id, data FROM events WHERE id > :after ORDER BY id LIMIT :n"),
                                     {"after": max(0, position - OVERLAP), "n": limit + OVERLAP}).all()
        except Exception as exc:  # no table yet (Rasa not started) or the file is busy: next round
            log.debug("event broker table not readable yet: %s", exc)
            return 0
        fresh = [row for row in batch if row.id > position]
        store(session, [rasa_row(_json(row.data)) for row in batch])
        if fresh:
            if cursor is None:
                session.add(BrokerCursor(source=source_url, position=fresh[-1].id))
            else:
                cursor.position = fresh[-1].id
        return len(fresh)


def drain_sql_broker(app_url: str, source_url: str) -> int:
    total = 0
    while True:
        n = ingest_sql_broker(app_url, source_url)
        total += n
        if n < BATCH:
            return total


# --- RabbitMQ -------------------------------------------------------------------------------------
async def consume_rabbitmq(app_url: str, amqp_url: str, queue_name: str = DEFAULT_QUEUE,
                           idle: float = 0.3) -> None:
    """Run until cancelled: declare Rasa's exchange and our durable queue, store what arrives."""
    import aio_pika

    connection = await aio_pika.connect_robust(amqp_url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=BATCH)
        exchange = await channel.declare_exchange(RASA_EXCHANGE, aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(exchange, "")
        while True:
            messages = []
            while len(messages) < BATCH:
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                messages.append(message)
            if not messages:
                await asyncio.sleep(idle)
                continue
            with session_scope(app_url) as session:
                store(session, [rasa_row(_json(m.body)) for m in messages])
            for message in messages:  # only once committed: a crash before this means a redelivery
                await message.ack()
    finally:
        await connection.close()


def _json(raw: Any) -> Dict[str, Any]:
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


async def run_consumer(app_url: str, env: Mapping[str, str], every: float = 1.0) -> None:
    """The gateway's background task: follow the configured broker until cancelled."""
    url = broker_url(env)
    if is_amqp(url):
        while True:
            try:
                await consume_rabbitmq(app_url, url, env.get("EVENT_BROKER_QUEUE", DEFAULT_QUEUE))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("RabbitMQ consumer stopped; reconnecting in 5 s")
                await asyncio.sleep(5)
    while True:
        try:
            drain_sql_broker(app_url, url)
        except Exception:
            log.exception("event broker round failed; the next one retries")
        await asyncio.sleep(every)


def source_for_refresh(env: Mapping[str, str]) -> Optional[str]:
    """The SQL source the API may drain before answering (None for RabbitMQ: its consumer pushes)."""
    url = broker_url(env)
    return None if is_amqp(url) else url
