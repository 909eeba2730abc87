"""bot.analytics.rasa_broker: Rasa's SQL event broker writing a turn's events in one transaction,
loaded the way Rasa loads it (by its path in the endpoints file), read by the gateway's consumer."""
from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.analytics import consumer
from bot.analytics.rasa_broker import TurnSQLEventBroker
from tests.unit.test_analytics_consumer import count, rasa_events


def rows(source: str) -> list:
    engine = create_engine(source)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT sender_id, data FROM events ORDER BY id")).all()
    finally:
        engine.dispose()


def test_rasa_loads_it_from_the_endpoints_file(tmp_path):
    from rasa.core.brokers.broker import EventBroker
    from rasa.utils.endpoints import read_endpoint_config

    source = f"sqlite:///{tmp_path}/rasa_events.db"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("\n".join(consumer.endpoint_lines({"EVENT_BROKER_URL": source})) + "\n")
    broker = asyncio.run(EventBroker.create(read_endpoint_config(str(endpoints), "event_broker")))
    assert type(broker) is TurnSQLEventBroker


def test_a_turns_events_are_written_together_after_the_loop_that_published_them(tmp_path):
    source = f"sqlite:///{tmp_path}/rasa_events.db"
    broker = TurnSQLEventBroker(host=source)
    events = rasa_events("conv-a")
    seen_inside = []

    async def turn():
        for event in events:  # as the tracker store does: one synchronous loop over the new events
            broker.publish(event)
        seen_inside.append(len(rows(source)))
        await asyncio.sleep(0)  # the event loop's next pass
        await asyncio.sleep(0)

    asyncio.run(turn())
    assert seen_inside == [0]
    written = rows(source)
    assert [r.sender_id for r in written] == ["conv-a"] * 5
    assert [json.loads(r.data) for r in written] == events


def test_without_an_event_loop_it_writes_at_once(tmp_path):
    source = f"sqlite:///{tmp_path}/rasa_events.db"
    broker = TurnSQLEventBroker(host=source)
    broker.publish(rasa_events("conv-b")[0])
    assert len(rows(source)) == 1


def test_a_failed_write_keeps_the_events_for_the_next_one(tmp_path):
    source = f"sqlite:///{tmp_path}/rasa_events.db"
    broker = TurnSQLEventBroker(host=source)
    with broker.engine.begin() as conn:
        conn.execute(text("ALTER TABLE events RENAME TO events_away"))
    broker._pending.append({"sender_id": "conv-c", "data": "{}"})
    with pytest.raises(OperationalError):
        broker.flush()
    assert broker._pending == [{"sender_id": "conv-c", "data": "{}"}]
    with broker.engine.begin() as conn:
        conn.execute(text("ALTER TABLE events_away RENAME TO events"))
    broker.flush()
    assert broker._pending == [] and [r.sender_id for r in rows(source)] == ["conv-c"]


def test_the_gateways_consumer_reads_what_it_wrote(tmp_path, new_db_url):
    url, source = new_db_url(), f"sqlite:///{tmp_path}/rasa_events.db"
    broker = TurnSQLEventBroker(host=source)

    async def turns():
        for sender in ("conv-d", "conv-e"):
            for event in rasa_events(sender):
                broker.publish(event)
            await asyncio.sleep(0)
        await broker.close()

    asyncio.run(turns())
    assert consumer.drain_sql_broker(url, source) == 10
    assert (count(url, "conv-d"), count(url, "conv-e")) == (3, 3)
