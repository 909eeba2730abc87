"""bot.rasa_lock against a real Redis (skipped if none runs): a holder keeps its turn however
long it takes, a killed holder's ticket lapses within the lifetime (Rasa's own: 60 s), two
instances never serve one conversation at once, and tickets issued at once are all distinct."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest

from bot import rasa_lock
from bot.db import ROOT
from tests.redis_server import lock_store_at, needs_redis

REDIS_URL = os.environ.get("TEST_REDIS_LOCK_URL", "redis://127.0.0.1:6379/12")
pytestmark = needs_redis(REDIS_URL)


def store(**kwargs) -> rasa_lock.RenewedRedisLockStore:
    return lock_store_at(REDIS_URL, **kwargs)


def conversation() -> str:
    return f"lock-test-{uuid.uuid4().hex[:10]}"


def test_defaults_and_a_lock_deleted_when_its_last_ticket_is_served():
    lock_store, cid = store(), conversation()
    assert (lock_store.lifetime, lock_store.beat) == (rasa_lock.LIFETIME, rasa_lock.BEAT) == (10.0, 2.0)
    assert lock_store.red.connection_pool.connection_kwargs["db"] == int(REDIS_URL.rsplit("/", 1)[1])

    async def turn():
        async with lock_store.lock(cid):
            [ticket] = lock_store.get_lock(cid).tickets
            assert ticket.expires - time.time() == pytest.approx(10.0, abs=1.0)

    asyncio.run(turn())
    assert lock_store.get_lock(cid) is None


HOLDER = """
import asyncio, sys
from tests.redis_server import lock_store_at

store = lock_store_at(sys.argv[1], lifetime=3.0, beat=0.5)

async def main():
    async with store.lock(sys.argv[2]):
        print("held", flush=True)
        await asyncio.sleep(600)  # a turn that never ends: killed in the middle

asyncio.run(main())
"""


def test_a_holder_keeps_its_turn_past_the_lifetime_and_a_killed_holders_ticket_lapses():
    cid = conversation()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, REDIS_URL, cid], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        waiter = store(lifetime=3.0, beat=0.5)
        acquired = threading.Event()
        timings = {}

        async def next_turn():
            async with waiter.lock(cid, wait_time_in_seconds=0.1):
                timings["acquired"] = time.monotonic()
                acquired.set()

        thread = threading.Thread(target=lambda: asyncio.run(next_turn()))
        thread.start()
        # Twice the lifetime: the holder renews its ticket, so the waiter keeps waiting.
        assert not acquired.wait(6.0), "a turn in progress lost its lock after the ticket's lifetime"
        holder.kill()
        holder.wait()
        killed = time.monotonic()
        assert acquired.wait(10.0), "the killed holder's ticket never lapsed"
        thread.join()
        waited = timings["acquired"] - killed
        assert waited <= 3.0 + 0.5 + 0.5  # its last renewal's lifetime at most, not Rasa's 60 s
    finally:
        holder.kill()
    assert waiter.get_lock(cid) is None


def test_two_instances_never_serve_one_conversation_at_once_even_past_the_lifetime():
    cid = conversation()
    stores = [store(lifetime=1.0, beat=0.2), store(lifetime=1.0, beat=0.2)]
    spans = []

    async def turn(n: int):
        async with stores[n % 2].lock(cid, wait_time_in_seconds=0.02):
            began = time.monotonic()
            await asyncio.sleep(1.6 if n == 3 else 0.05)  # turn 3 outlives a ticket's lifetime
            spans.append((began, time.monotonic(), n))

    async def all_turns():
        await asyncio.gather(*(turn(n) for n in range(8)))

    asyncio.run(all_turns())
    spans.sort()
    assert sorted(n for _, _, n in spans) == list(range(8))
    for (_, ended, _), (began, _, _) in zip(spans, spans[1:]):
        assert began >= ended, "two turns of one conversation overlapped"
    assert stores[0].get_lock(cid) is None


def test_tickets_issued_at_once_by_two_instances_are_all_distinct_and_kept():
    cid = conversation()
    stores = [store(), store()]
    issued = [[], []]
    start = threading.Barrier(2)

    def issue(n: int) -> None:
        start.wait()
        for _ in range(60):
            issued[n].append(stores[n].issue_ticket(cid))

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    numbers = issued[0] + issued[1]
    assert len(set(numbers)) == 120
    assert sorted(t.number for t in stores[0].get_lock(cid).tickets) == sorted(numbers)
    for number in numbers:
        stores[1].cleanup(cid, number)
    assert stores[0].get_lock(cid) is None
