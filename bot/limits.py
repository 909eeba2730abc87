"""Failure counters with lockouts, kept in the database so that a restart forgets nothing.

One row per key, e.g. ``guest:order:20261119000288`` or ``login:client:<hmac>``: the failures
in the current window and, once they reach the rule's limit, a lock until a given time.
The guest verification (bot.shop.repo) and the staff login (bot.gateway.auth) are the only
callers; each owns its key prefix.

    rule = Rule(limit=5, window=timedelta(minutes=10), lock=timedelta(minutes=10))
    until = locked_until(session, keys, now, for_update=True)   # None: go ahead and check
    ... the check fails ...
    record_failure(session, {key: rule, ...}, now)               # the latest lock end, if any

``for_update`` locks the rows for the caller's transaction (SELECT ... FOR UPDATE on
PostgreSQL; the database's write lock on SQLite), so two concurrent attempts cannot both
pass the check before either failure is counted. ``now`` is naive UTC, always passed in.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, Iterable, Optional

from sqlalchemy import Column, DateTime, Integer, String, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.db import Base

KEEP = timedelta(days=2)  # rows idle longer than this (and not locked) are pruned


@dataclass(frozen=True)
class Rule:
    limit: int  # failures within `window` that lock the key
    window: timedelta
    lock: timedelta


class RateLimit(Base):
    __tablename__ = "rate_limits"
    key = Column(String(120), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    window_started_at = Column(DateTime, nullable=False)
    locked_until = Column(DateTime, nullable=True)
    updated_at = Column(DateTime, nullable=False, index=True)


def locked_until(session: Session, keys: Iterable[str], now: datetime, for_update: bool = False) -> Optional[datetime]:
    """The latest lock end among `keys` still in the future; None when none is locked."""
    keys = sorted(set(keys))  # one order for every caller: no deadlocks between row locks
    if not keys:
        return None
    if for_update:
        _ensure_rows(session, keys, now)
    query = select(RateLimit).where(RateLimit.key.in_(keys))
    if for_update:
        query = query.with_for_update()
    rows = session.execute(query.execution_options(populate_existing=True)).scalars().all()
    ends = [row.locked_until for row in rows if row.locked_until is not None and row.locked_until > now]
    return max(ends) if ends else None


def record_failure(session: Session, rules: Dict[str, Rule], now: datetime) -> Optional[datetime]:
    """Count one failure under every key; returns the latest lock end if a key is locked now."""
    _ensure_rows(session, sorted(rules), now)
    rows = {row.key: row for row in session.execute(
        select(RateLimit).where(RateLimit.key.in_(sorted(rules))).with_for_update()
        .execution_options(populate_existing=True)).scalars()}
    ends = []
    for key, rule in rules.items():
        row = rows[key]
        if row.window_started_at + rule.window <= now:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        if row.failures >= rule.limit:
            row.failures, row.window_started_at = 0, now
            row.locked_until = max(row.locked_until or now, now + rule.lock)
        if row.locked_until is not None and row.locked_until > now:
            ends.append(row.locked_until)
        row.updated_at = now
    session.execute(delete(RateLimit).where(
        RateLimit.updated_at < now - KEEP,
        or_(RateLimit.locked_until.is_(None), RateLimit.locked_until < now)))
    session.flush()
    return max(ends) if ends else None


def reset(session: Session, key: str, now: datetime) -> None:
    """Forget the failures of `key` (after a success); an active lock stays."""
    row = session.get(RateLimit, key)
    if row is not None and row.failures:
        row.failures, row.window_started_at, row.updated_at = 0, now, now


def _ensure_rows(session: Session, keys: list, now: datetime) -> None:
    """Insert missing rows without racing another transaction (ON CONFLICT DO NOTHING).

    On SQLite the INSERT also takes the database's write lock, which is what makes the
    SELECT that follows behave like SELECT ... FOR UPDATE.
    """
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    values = [{"key": key, "failures": 0, "window_started_at": now, "locked_until": None, "updated_at": now}
              for key in keys]
    session.execute(insert(RateLimit).values(values).on_conflict_do_nothing(index_elements=["key"]))
