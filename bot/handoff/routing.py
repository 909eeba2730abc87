"""Where a handoff goes and when a human will answer: pure functions of the clock."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.clock import KST, to_kst

CS_OPEN, CS_CLOSE = time(9, 0), time(18, 0)
SELLER_DEADLINE = timedelta(hours=24)

# Ticket states, as an agent sees them, and the moves between them.
QUEUED, ASSIGNED, RESOLVED, CLOSED = "queued", "assigned", "resolved", "closed"
TRANSITIONS = {
    "claim": ({QUEUED}, ASSIGNED),
    "hand_back": ({QUEUED, ASSIGNED}, RESOLVED),
    "close": ({QUEUED, ASSIGNED}, CLOSED),
}
OPEN_STATES = {QUEUED, ASSIGNED}


class TransitionRefused(Exception):
    pass


def next_state(state: str, move: str) -> str:
    allowed_from, to = TRANSITIONS[move]
    if state not in allowed_from:
        raise TransitionRefused(f"{move} is not possible from {state}")
    return to


def cs_open(now: datetime) -> bool:
    """Weekdays 09:00-18:00 KST."""
    local = to_kst(now)
    return local.weekday() < 5 and CS_OPEN <= local.time() < CS_CLOSE


def next_cs_opening(now: datetime) -> datetime:
    """When the CS desk next opens (now, if it is open), as an aware KST datetime."""
    local = to_kst(now)
    if cs_open(now):
        return local
    day = local.date() if local.time() < CS_OPEN else local.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, CS_OPEN, tzinfo=KST)


def opening_label(now: datetime) -> str:
    """「내일 오전 9시」, 「월요일 오전 9시」, 「오늘 오전 9시」."""
    opening = next_cs_opening(now)
    days = (opening.date() - to_kst(now).date()).days
    weekday = "월화수목금토일"[opening.weekday()]
    when = {0: "오늘", 1: "내일"}.get(days, f"{weekday}요일")
    return f"{when} 오전 9시"


def seller_deadline(now: datetime) -> datetime:
    return now + SELLER_DEADLINE
