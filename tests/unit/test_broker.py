"""The brokers: fan-out per channel, slow clients cut loose instead of blocking; through Redis
(a real server, skipped if none runs) between gateway processes."""
from __future__ import annotations

import asyncio
import os

import pytest
import redis

from bot.conversation.broker import DROPPED, Broker, RedisBroker, make_broker
from tests import redis_server


def test_events_reach_every_subscriber_of_the_channel_only():
    async def scenario():
        broker = Broker()
        a, b, other = broker.subscribe("conv:1"), broker.subscribe("conv:1"), broker.subscribe("conv:2")
        broker.publish("conv:1", {"type": "message", "n": 1})
        assert a.get_nowait() == b.get_nowait() == {"type": "message", "n": 1}
        assert other.empty()
        broker.unsubscribe("conv:1", a)
        broker.publish("conv:1", {"type": "message", "n": 2})
        assert a.empty() and b.get_nowait()["n"] == 2
        assert broker.subscribers("conv:1") == 1

    asyncio.run(scenario())


def test_a_client_that_stops_reading_is_dropped_with_a_marker():
    async def scenario():
        broker = Broker()
        slow = broker.subscribe("staff")
        for n in range(1001):
            broker.publish("staff", {"type": "message", "n": n})
        assert slow.get_nowait() is DROPPED and slow.empty()
        assert broker.subscribers("staff") == 0

    asyncio.run(scenario())


# --- through Redis: several gateway processes, here two brokers on one event loop ---------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
needs_redis = redis_server.needs_redis(REDIS_URL)


async def next_event(queue: asyncio.Queue, timeout: float = 5.0) -> dict:
    return await asyncio.wait_for(queue.get(), timeout)


@needs_redis
def test_an_event_published_on_one_gateway_reaches_the_subscribers_of_another_once_and_in_order():
    async def scenario():
        a, b = RedisBroker(REDIS_URL), RedisBroker(REDIS_URL)
        await a.start()
        await b.start()
        try:
            on_a, on_b, staff_a = a.subscribe("conv:x"), b.subscribe("conv:x"), a.subscribe("staff")
            for n in range(100):
                b.publish("conv:x", {"type": "message", "message": {"id": n, "text": f"답변 {n}"}})
            a.publish("staff", {"type": "ticket", "ticket": {"id": 7}})
            assert [(await next_event(on_a))["message"]["id"] for _ in range(100)] == list(range(100))
            assert [on_b.get_nowait()["message"]["id"] for _ in range(100)] == list(range(100))
            assert (await next_event(staff_a)) == {"type": "ticket", "ticket": {"id": 7}}
            await asyncio.sleep(0.3)  # nothing comes back twice through Redis
            assert on_a.empty() and on_b.empty() and staff_a.empty()
        finally:
            await a.stop()
            await b.stop()

    asyncio.run(scenario())


@needs_redis
def test_deployments_on_other_redis_databases_do_not_hear_each_other():
    other_url = REDIS_URL.rsplit("/", 1)[0] + "/14"

    async def scenario():
        ours, theirs = RedisBroker(REDIS_URL), RedisBroker(other_url)
        await ours.start()
        await theirs.start()
        try:
            staff = theirs.subscribe("staff")
            ours.publish("staff", {"type": "ticket", "ticket": {"id": 1}})
            await asyncio.sleep(0.3)
            assert staff.empty()
        finally:
            await ours.stop()
            await theirs.stop()

    asyncio.run(scenario())


@needs_redis
def test_after_losing_redis_every_local_socket_is_dropped_to_catch_up_from_the_database():
    async def scenario():
        a, b = RedisBroker(REDIS_URL), RedisBroker(REDIS_URL)
        await a.start()
        await b.start()
        try:
            widget, console = a.subscribe("conv:y"), a.subscribe("staff")
            admin = redis.Redis.from_url(REDIS_URL)
            ids = [c["id"] for c in admin.client_list() if c["name"] == a.client_name and c["cmd"] == "subscribe"]
            assert len(ids) == 1
            admin.client_kill_filter(_id=ids[0])  # this gateway's subscription only
            assert await next_event(widget) is DROPPED and await next_event(console) is DROPPED
            assert a.subscribers("conv:y") == a.subscribers("staff") == 0
            again = a.subscribe("conv:y")  # the widget reconnects: events flow again
            b.publish("conv:y", {"type": "typing", "on": True})
            assert await next_event(again) == {"type": "typing", "on": True}
        finally:
            await a.stop()
            await b.stop()

    asyncio.run(scenario())


def test_a_redis_broker_not_started_serves_its_own_process():
    async def scenario():
        broker = make_broker("redis://127.0.0.1:6379/13")
        queue = broker.subscribe("conv:z")
        broker.publish("conv:z", {"type": "typing", "on": False})
        assert isinstance(broker, RedisBroker) and queue.get_nowait() == {"type": "typing", "on": False}
        assert type(make_broker("")) is Broker

    asyncio.run(scenario())
