"""Fan-out of events to open websockets, per channel ("conv:<id>", "staff").

In-process: one gateway process. Clients never depend on it for completeness:
every message is in the database with an increasing id, and a client that
(re)connects first receives what it missed from there.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any, Dict, Set


DROPPED: Dict[str, Any] = {"type": "dropped"}


class Broker:
    def __init__(self) -> None:
        self._queues: Dict[str, Set[asyncio.Queue]] = defaultdict(set)

    def subscribe(self, channel: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self._queues[channel].add(queue)
        return queue

    def unsubscribe(self, channel: str, queue: asyncio.Queue) -> None:
        self._queues[channel].discard(queue)
        if not self._queues[channel]:
            del self._queues[channel]

    def publish(self, channel: str, event: Dict[str, Any]) -> None:
        for queue in list(self._queues.get(channel, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A client that stopped reading: cut it loose with the DROPPED marker; its
                # socket closes and it resumes from the database when it reconnects.
                self._queues[channel].discard(queue)
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(DROPPED)

    def subscribers(self, channel: str) -> int:
        return len(self._queues.get(channel, ()))
