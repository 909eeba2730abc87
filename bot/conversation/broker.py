"""Fan-out of events to open websockets, per channel ("conv:<id>", "staff").

`Broker` is in-process: one gateway process, the embedded default. `RedisBroker` (with
REDIS_URL) also carries every event through Redis pub/sub to the other gateway processes,
so that a reply posted through one gateway reaches a websocket open on another.

Clients never depend on either for completeness: every message is in the database with an
increasing id, and a client that (re)connects first receives what it missed from there. A
client the broker cannot serve any more (it stopped reading, or the gateway lost Redis for
a while) gets the DROPPED marker: its socket closes and it reconnects.
"""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import defaultdict
from typing import Any, Dict, List, Optional, Set

log = logging.getLogger(__name__)

DROPPED: Dict[str, Any] = {"type": "dropped"}


class Broker:
    def __init__(self) -> None:
        self._queues: Dict[str, Set[asyncio.Queue]] = defaultdict(set)

    async def start(self) -> None:
        """Nothing to connect to in-process."""

    async def stop(self) -> None:
        pass

    def subscribe(self, channel: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self._queues[channel].add(queue)
        return queue

    def unsubscribe(self, channel: str, queue: asyncio.Queue) -> None:
        self._queues[channel].discard(queue)
        if not self._queues[channel]:
            del self._queues[channel]

    def publish(self, channel: str, event: Dict[str, Any]) -> None:
        self._deliver(channel, event)

    def _deliver(self, channel: str, event: Dict[str, Any]) -> None:
        """To this process's subscribers of `channel`."""
        for queue in list(self._queues.get(channel, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A client that stopped reading: cut it loose; it resumes from the database.
                self._cut(channel, queue)

    def _cut(self, channel: str, queue: asyncio.Queue) -> None:
        """Unsubscribe `queue`, leaving it only the DROPPED marker: its socket closes."""
        self._queues[channel].discard(queue)
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(DROPPED)

    def drop_all(self) -> None:
        """Cut every subscriber loose (they reconnect and catch up from the database)."""
        for channel, queues in list(self._queues.items()):
            for queue in list(queues):
                self._cut(channel, queue)
            self._queues.pop(channel, None)

    def subscribers(self, channel: str) -> int:
        return len(self._queues.get(channel, ()))


class RedisBroker(Broker):
    """Fan-out across gateway processes through one Redis pub/sub channel.

    An event is delivered to this process's subscribers at once, as `Broker` does, and
    published on Redis with this broker's origin; every other gateway subscribed there
    delivers it to its own subscribers (each ignores its own events). One task publishes,
    in order, from an outbox, so `publish` stays a plain call that never waits for Redis.

    If the subscription breaks (Redis restarted, the network dropped), the events the others
    published meanwhile are missed here: once subscribed again, every local subscriber gets
    DROPPED, so each client reconnects and reads what it missed from the database.

    Redis pub/sub ignores database numbers, so the channel is named after the URL's database
    (`modu:broker:<db>`): deployments sharing one Redis server stay apart by their db number.
    """

    def __init__(self, url: str, outbox_size: int = 10_000) -> None:
        super().__init__()
        from redis.asyncio.connection import parse_url

        self.url = url
        self.redis_channel = f"modu:broker:{parse_url(url).get('db', 0)}"
        self.origin = uuid.uuid4().hex
        self.client_name = f"modu-gateway-{self.origin[:12]}"  # in Redis's CLIENT LIST
        self.outbox_size = outbox_size
        self._redis: Any = None
        self._outbox: Optional[asyncio.Queue] = None
        self._tasks: List[asyncio.Task] = []

    async def start(self, timeout: float = 10.0) -> None:
        """Connect and subscribe; returns once subscribed (SystemExit if Redis does not answer)."""
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(self.url, client_name=self.client_name)
        self._outbox = asyncio.Queue(maxsize=self.outbox_size)
        subscribed = asyncio.get_running_loop().create_future()
        self._tasks = [asyncio.ensure_future(self._listen(subscribed)), asyncio.ensure_future(self._send())]
        try:
            await asyncio.wait_for(asyncio.shield(subscribed), timeout)
        except asyncio.TimeoutError:
            await self.stop()
            raise SystemExit(f"Redis did not answer at {self.url} within {timeout:.0f} s (REDIS_URL)")

    async def stop(self) -> None:
        if self._outbox is not None:  # what this process said last still reaches the others
            while not self._outbox.empty():
                try:
                    await asyncio.wait_for(self._redis.publish(self.redis_channel, self._outbox.get_nowait()), 2)
                except Exception:
                    break
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._redis is not None:
            await self._redis.close(close_connection_pool=True)

    def publish(self, channel: str, event: Dict[str, Any]) -> None:
        self._deliver(channel, event)
        if self._outbox is None:  # not started (a script, a unit test): this process only
            return
        envelope = json.dumps({"origin": self.origin, "channel": channel, "event": event}, ensure_ascii=False)
        try:
            self._outbox.put_nowait(envelope)
        except asyncio.QueueFull:
            log.error("redis outbox full: an event for %s reaches this gateway's clients only", channel)

    async def _send(self) -> None:
        while True:
            envelope = await self._outbox.get()
            try:
                await self._redis.publish(self.redis_channel, envelope)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the others' clients catch up when their subscription recovers
                log.error("redis publish failed (%r): the other gateways miss one event", exc)

    async def _listen(self, subscribed: "asyncio.Future[None]") -> None:
        first = True
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.redis_channel)
                async for item in pubsub.listen():
                    if item["type"] == "subscribe":
                        if not first:
                            log.warning("redis subscription back: every websocket reconnects to catch up")
                            self.drop_all()
                        first = False
                        if not subscribed.done():
                            subscribed.set_result(None)
                    elif item["type"] == "message":
                        envelope = json.loads(item["data"])
                        if envelope["origin"] != self.origin:
                            self._deliver(envelope["channel"], envelope["event"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("redis subscription lost (%r); subscribing again in 1 s", exc)
                await asyncio.sleep(1)
            finally:
                try:
                    await pubsub.close()
                except Exception:
                    pass


def make_broker(redis_url: str = "") -> Broker:
    """Through Redis when REDIS_URL is set (several gateways), in-process otherwise."""
    return RedisBroker(redis_url) if redis_url else Broker()
