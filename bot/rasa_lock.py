"""Rasa's Redis lock store with short tickets that their holder renews, each change atomic.

Several Rasa instances take turns on a conversation through a ticket lock in Redis (Rasa's
RedisLockStore). Rasa gives a ticket 60 s (TICKET_LOCK_LIFETIME), so that a long turn keeps its
place; the price is that a conversation whose instance died in the middle of a turn waits those
60 s before any other instance serves it, and the customer's resent message times out first.
Here a ticket lives `lifetime` (10 s) and the instance renews it every `beat` (2 s) while it
waits and while it works: a turn keeps its place however long it takes, and a dead instance's
ticket lapses within 10 s.

Rasa reads a lock, changes it and writes it back with no transaction: two instances issuing
tickets at once can both take the same number, and a waiter's write can drop a ticket issued
in between. Here every change is one optimistic transaction (WATCH / MULTI), retried on a
conflict, and a lock left without tickets is deleted in the same transaction.

Rasa loads it from endpoints.yml (`lock_store: type: bot.rasa_lock.RenewedRedisLockStore`),
which `python -m bot run` writes when REDIS_URL is set (bot.stack.write_endpoints).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Text, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, RedisLockStore

log = logging.getLogger(__name__)

LIFETIME = 10.0
BEAT = 2.0
T = TypeVar("T")


class RenewedRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Any = None, lifetime: float = LIFETIME, beat: float = BEAT,
                 **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by its module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self.lifetime, self.beat = lifetime, beat

    def _change(self, conversation_id: Text, change: Callable[[TicketLock], T]) -> T:
        """Apply `change` to the conversation's lock in one transaction (a new lock if there is
        none; expired tickets dropped; no tickets left: the lock is deleted)."""
        key = self.key_prefix + conversation_id
        try:
            with self.red.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(key)
                        stored = pipe.get(key)
                        lock = TicketLock.from_dict(json.loads(stored)) if stored else TicketLock(conversation_id)
                        lock.remove_expired_tickets()
                        result = change(lock)
                        pipe.multi()
                        if lock.tickets:
                            pipe.set(key, lock.dumps())
                        else:
                            pipe.delete(key)
                        pipe.execute()
                        return result
                    except redis.WatchError:
                        continue  # another instance changed it in between: read it again
        except redis.RedisError as exc:
            raise LockError(f"lock of conversation {conversation_id!r}: {exc!r}") from exc

    def issue_ticket(self, conversation_id: Text, lock_lifetime: Optional[float] = None) -> int:
        return self._change(conversation_id, lambda lock: lock.issue_ticket(self.lifetime))

    def renew(self, conversation_id: Text, ticket: int) -> bool:
        """Push the ticket's expiry `lifetime` ahead; False if it has already lapsed."""
        def push(lock: TicketLock) -> bool:
            for held in lock.tickets:
                if held.number == ticket:
                    held.expires = time.time() + self.lifetime
                    return True
            return False

        return self._change(conversation_id, push)

    def update_lock(self, conversation_id: Text) -> None:
        self._change(conversation_id, lambda lock: None)  # drops the expired tickets

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        self.finish_serving(conversation_id, ticket_number)  # deletes the lock if no one waits

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: Optional[float] = None,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        """Rasa's lock, but `lock_lifetime` (Rasa's 60 s) is not used: the ticket lives `lifetime`
        and is renewed every `beat` until the turn leaves the block."""
        ticket = self.issue_ticket(conversation_id)
        renewing = asyncio.ensure_future(self._renew_while_held(conversation_id, ticket))
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            renewing.cancel()
            self.cleanup(conversation_id, ticket)

    async def _renew_while_held(self, conversation_id: Text, ticket: int) -> None:
        while True:
            await asyncio.sleep(self.beat)
            try:
                if not self.renew(conversation_id, ticket):
                    log.warning("the lock ticket %s of conversation %s lapsed before it was renewed",
                                ticket, conversation_id)
                    return
            except LockError as exc:  # Redis away for a moment: the next beat tries again
                log.warning("could not renew a lock ticket: %s", exc)
