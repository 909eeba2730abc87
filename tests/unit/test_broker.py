"""The in-process broker: fan-out per channel, and slow clients cut loose instead of blocking."""
from __future__ import annotations

import asyncio

from bot.conversation.broker import DROPPED, Broker


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
