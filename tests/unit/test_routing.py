"""Ticket states, CS hours and seller deadlines, with the clock in the test's hands."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.handoff import routing


def kst(*args) -> datetime:
    """A naive-UTC datetime for a KST wall-clock time."""
    return datetime(*args) - timedelta(hours=9)


@pytest.mark.parametrize("state,move,after", [
    ("queued", "claim", "assigned"),
    ("queued", "hand_back", "resolved"),
    ("assigned", "hand_back", "resolved"),
    ("assigned", "close", "closed"),
    ("queued", "close", "closed"),
])
def test_allowed_moves(state, move, after):
    assert routing.next_state(state, move) == after


@pytest.mark.parametrize("state,move", [
    ("assigned", "claim"), ("resolved", "claim"), ("closed", "hand_back"), ("resolved", "close"),
])
def test_refused_moves(state, move):
    with pytest.raises(routing.TransitionRefused):
        routing.next_state(state, move)


def test_cs_hours_are_weekdays_nine_to_six_kst():
    assert routing.cs_open(kst(2026, 11, 27, 9, 0))  # Friday 09:00
    assert routing.cs_open(kst(2026, 11, 27, 17, 59))
    assert not routing.cs_open(kst(2026, 11, 27, 18, 0))
    assert not routing.cs_open(kst(2026, 11, 27, 8, 59))
    assert not routing.cs_open(kst(2026, 11, 28, 12, 0))  # Saturday


@pytest.mark.parametrize("now,label,opening", [
    (kst(2026, 11, 27, 7, 30), "오늘 오전 9시", (2026, 11, 27)),    # Friday early
    (kst(2026, 11, 26, 19, 0), "내일 오전 9시", (2026, 11, 27)),    # Thursday evening
    (kst(2026, 11, 27, 18, 30), "월요일 오전 9시", (2026, 11, 30)),  # Friday evening
    (kst(2026, 11, 29, 10, 0), "내일 오전 9시", (2026, 11, 30)),    # Sunday
])
def test_next_opening(now, label, opening):
    assert routing.opening_label(now) == label
    when = routing.next_cs_opening(now)
    assert (when.year, when.month, when.day, when.hour) == (*opening, 9)


def test_open_now_means_now():
    now = kst(2026, 11, 27, 10, 0)
    assert routing.next_cs_opening(now) == routing.to_kst(now)


def test_seller_deadline_is_24_hours():
    now = kst(2026, 11, 27, 10, 0)
    assert routing.seller_deadline(now) - now == timedelta(hours=24)
    # When a ticket past its deadline escalates: tests/unit/test_desk.py (Desk.escalate_overdue).
