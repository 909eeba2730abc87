"""Business rules (bot.shop.policy): pure functions, every status and every edge."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.clock import KST
from bot.shop import policy
from bot.shop.models import Status
from bot.shop.policy import AGENT, ALLOW, REFUSE, SELLER

S = Status


def kst(y, m, d, hh=12, mm=0) -> datetime:
    """A KST wall-clock time as the naive UTC the database stores."""
    return datetime(y, m, d, hh, mm, tzinfo=KST).astimezone(timezone.utc).replace(tzinfo=None)


NOW = kst(2026, 11, 26, 12, 0)  # a Thursday
DELIVERED_2D = kst(2026, 11, 24, 15, 0)


# --------------------------------------------------------------------------- time helpers


def test_days_since_delivery_counts_kst_calendar_days():
    assert policy.days_since_delivery(kst(2026, 11, 26, 9, 0), kst(2026, 11, 26, 23, 59)) == 0
    assert policy.days_since_delivery(kst(2026, 11, 25, 23, 59), kst(2026, 11, 26, 0, 1)) == 1
    # 23:30 KST is 14:30 UTC the same date; 00:30 KST is still the previous date in UTC.
    assert policy.days_since_delivery(kst(2026, 11, 18, 23, 30), kst(2026, 11, 25, 0, 0)) == 7
    assert policy.days_since_delivery(kst(2026, 11, 19, 0, 30), kst(2026, 11, 26, 0, 10)) == 7


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 8, 26), 3, date(2026, 11, 26)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year
        (date(2026, 10, 31), 1, date(2026, 11, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 1, 31), 0, date(2026, 1, 31)),
    ],
)
def test_add_months_clamps_to_month_end(day, months, expected):
    assert policy.add_months(day, months) == expected


# --------------------------------------------------------------------------- cancellation


@pytest.mark.parametrize(
    "status, outcome, code",
    [
        (S.PAID, ALLOW, "now"),
        (S.PREPARING, SELLER, "preparing"),
        (S.SHIPPED, REFUSE, "shipped"),
        (S.DELIVERED, REFUSE, "shipped"),
        (S.CONFIRMED, REFUSE, "shipped"),
        (S.CANCEL_REQUESTED, REFUSE, "in_progress"),
        (S.RETURN_REQUESTED, REFUSE, "in_progress"),
        (S.EXCHANGE_REQUESTED, REFUSE, "in_progress"),
        (S.CANCELLED, REFUSE, "closed"),
        (S.REFUNDED, REFUSE, "closed"),
    ],
)
def test_cancellation_for_every_status(status, outcome, code):
    decision = policy.cancellation(status, 45000)
    assert (decision.outcome, decision.code) == (outcome, code)
    assert decision.allowed is (outcome == ALLOW)


def test_cancellation_refunds_the_full_amount():
    assert policy.cancellation(S.PAID, 45000).refund_amount == 45000
    assert policy.cancellation(S.PREPARING, 45000).refund_amount == 45000
    assert policy.cancellation(S.PAID, 45000).fee == 0
    assert policy.cancellation(S.SHIPPED, 45000).refund_amount == 0


def test_every_status_is_covered_by_the_cancellation_table():
    codes = {policy.cancellation(s, 1000).code for s in Status}
    assert codes == {"now", "preparing", "shipped", "in_progress", "closed"}


# --------------------------------------------------------------------------- address change


@pytest.mark.parametrize(
    "status, outcome, code",
    [
        (S.PAID, ALLOW, "now"),
        (S.PREPARING, SELLER, "preparing"),
        (S.SHIPPED, REFUSE, "shipped"),
        (S.DELIVERED, REFUSE, "shipped"),
        (S.CONFIRMED, REFUSE, "shipped"),
        (S.CANCEL_REQUESTED, REFUSE, "in_progress"),
        (S.RETURN_REQUESTED, REFUSE, "in_progress"),
        (S.EXCHANGE_REQUESTED, REFUSE, "in_progress"),
        (S.CANCELLED, REFUSE, "closed"),
        (S.REFUNDED, REFUSE, "closed"),
    ],
)
def test_address_change_for_every_status(status, outcome, code):
    decision = policy.address_change(status)
    assert (decision.outcome, decision.code) == (outcome, code)


# --------------------------------------------------------------------------- returns


@pytest.mark.parametrize(
    "status, outcome, code",
    [
        (S.PAID, REFUSE, "not_shipped"),
        (S.PREPARING, REFUSE, "not_shipped"),
        (S.SHIPPED, REFUSE, "in_transit"),
        (S.DELIVERED, ALLOW, "within_window"),
        (S.CONFIRMED, AGENT, "confirmed"),
        (S.CANCEL_REQUESTED, REFUSE, "in_progress"),
        (S.RETURN_REQUESTED, REFUSE, "in_progress"),
        (S.EXCHANGE_REQUESTED, REFUSE, "in_progress"),
        (S.CANCELLED, REFUSE, "closed"),
        (S.REFUNDED, REFUSE, "closed"),
    ],
)
def test_return_for_every_status(status, outcome, code):
    delivered = DELIVERED_2D if status in (S.DELIVERED, S.CONFIRMED) else None
    decision = policy.return_request(status, delivered, NOW, policy.DEFECT, 50000, 6000)
    assert (decision.outcome, decision.code) == (outcome, code)


def test_return_change_of_mind_deducts_the_return_fee():
    d = policy.return_request(S.DELIVERED, DELIVERED_2D, NOW, policy.CHANGE_OF_MIND, 50000, 6000)
    assert d.allowed and d.fee == 6000 and d.refund_amount == 44000 and d.days_since_delivery == 2


@pytest.mark.parametrize("reason", [policy.DEFECT, policy.WRONG_ITEM])
def test_return_defect_or_wrong_item_is_free(reason):
    d = policy.return_request(S.DELIVERED, DELIVERED_2D, NOW, reason, 50000, 6000)
    assert d.allowed and d.fee == 0 and d.refund_amount == 50000


def test_return_fee_never_exceeds_the_total():
    d = policy.return_request(S.DELIVERED, DELIVERED_2D, NOW, policy.CHANGE_OF_MIND, 4000, 6000)
    assert d.fee == 4000 and d.refund_amount == 0
    d = policy.return_request(S.DELIVERED, DELIVERED_2D, NOW, policy.CHANGE_OF_MIND, 6000, 6000)
    assert d.fee == 6000 and d.refund_amount == 0


def test_return_seller_fee_is_used_as_given():
    d = policy.return_request(S.DELIVERED, DELIVERED_2D, NOW, policy.CHANGE_OF_MIND, 30000, 5000)
    assert d.fee == 5000 and d.refund_amount == 25000


def test_return_on_delivery_day_is_day_zero():
    d = policy.return_request(S.DELIVERED, kst(2026, 11, 26, 9, 0), NOW, policy.CHANGE_OF_MIND, 30000, 6000)
    assert d.allowed and d.days_since_delivery == 0


@pytest.mark.parametrize(
    "delivered, now, days, outcome",
    [
        # day 7 is still inside the window, day 8 is not
        (kst(2026, 11, 19, 12, 0), kst(2026, 11, 26, 23, 59), 7, ALLOW),
        (kst(2026, 11, 18, 12, 0), kst(2026, 11, 26, 0, 0), 8, REFUSE),
        # delivered at 23:30 KST counts as that (KST) day, though UTC is 9 hours behind
        (kst(2026, 11, 18, 23, 30), kst(2026, 11, 25, 23, 59), 7, ALLOW),
        (kst(2026, 11, 18, 23, 30), kst(2026, 11, 26, 0, 10), 8, REFUSE),
        # delivered just after KST midnight: UTC still shows the previous date
        (kst(2026, 11, 19, 0, 5), kst(2026, 11, 26, 23, 0), 7, ALLOW),
        (kst(2026, 11, 19, 0, 5), kst(2026, 11, 27, 0, 1), 8, REFUSE),
    ],
)
def test_return_window_day_7_vs_day_8(delivered, now, days, outcome):
    d = policy.return_request(S.DELIVERED, delivered, now, policy.CHANGE_OF_MIND, 30000, 6000)
    assert d.days_since_delivery == days
    assert d.outcome == outcome
    assert d.code == ("within_window" if outcome == ALLOW else "window_passed")


@pytest.mark.parametrize("reason", [policy.DEFECT, policy.WRONG_ITEM])
def test_late_defect_within_three_months_goes_to_an_agent(reason):
    delivered = kst(2026, 11, 18, 12, 0)  # day 8
    d = policy.return_request(S.DELIVERED, delivered, NOW, reason, 30000, 6000)
    assert (d.outcome, d.code, d.days_since_delivery) == (AGENT, "late_defect", 8)


@pytest.mark.parametrize(
    "delivered, now, outcome",
    [
        (kst(2026, 8, 26, 12, 0), kst(2026, 11, 26, 23, 59), AGENT),  # exactly 3 months: still in
        (kst(2026, 8, 26, 12, 0), kst(2026, 11, 27, 0, 0), REFUSE),  # the day after
        (kst(2026, 8, 26, 23, 30), kst(2026, 11, 26, 23, 0), AGENT),  # late-evening KST delivery
        (kst(2026, 8, 25, 23, 59), kst(2026, 11, 26, 0, 0), REFUSE),
        (kst(2026, 11, 30, 12, 0), kst(2027, 2, 28, 12, 0), AGENT),  # month-end clamp
        (kst(2026, 11, 30, 12, 0), kst(2027, 3, 1, 12, 0), REFUSE),
    ],
)
def test_defect_claim_period_edges(delivered, now, outcome):
    d = policy.return_request(S.DELIVERED, delivered, now, policy.DEFECT, 30000, 6000)
    assert d.outcome == outcome
    assert d.code == ("late_defect" if outcome == AGENT else "window_passed")
    assert policy.within_defect_claim_period(delivered, now) is (outcome == AGENT)


def test_late_change_of_mind_is_declined():
    d = policy.return_request(S.DELIVERED, kst(2026, 11, 18, 12, 0), NOW, policy.CHANGE_OF_MIND, 30000, 6000)
    assert (d.outcome, d.code, d.fee, d.refund_amount) == (REFUSE, "window_passed", 0, 0)


def test_unknown_reason_past_the_window_is_declined():
    d = policy.return_request(S.DELIVERED, kst(2026, 11, 10, 12, 0), NOW, "something", 30000, 6000)
    assert d.code == "window_passed"


def test_unknown_reason_within_the_window_is_not_charged():
    d = policy.return_request(S.DELIVERED, DELIVERED_2D, NOW, "something", 30000, 6000)
    assert d.allowed and d.fee == 0


def test_confirmed_goes_to_agent_whatever_the_date():
    for delivered in (DELIVERED_2D, kst(2026, 5, 1, 12, 0)):
        d = policy.return_request(S.CONFIRMED, delivered, NOW, policy.CHANGE_OF_MIND, 30000, 6000)
        assert (d.outcome, d.code) == (AGENT, "confirmed")


def test_delivered_without_a_delivery_time_is_a_bug():
    with pytest.raises(AssertionError):
        policy.return_request(S.DELIVERED, None, NOW, policy.DEFECT, 30000, 6000)


# --------------------------------------------------------------------------- exchanges


@pytest.mark.parametrize(
    "status, outcome, code",
    [
        (S.PAID, REFUSE, "not_shipped"),
        (S.PREPARING, REFUSE, "not_shipped"),
        (S.SHIPPED, REFUSE, "in_transit"),
        (S.DELIVERED, SELLER, "within_window"),
        (S.CONFIRMED, AGENT, "confirmed"),
        (S.CANCEL_REQUESTED, REFUSE, "in_progress"),
        (S.RETURN_REQUESTED, REFUSE, "in_progress"),
        (S.EXCHANGE_REQUESTED, REFUSE, "in_progress"),
        (S.CANCELLED, REFUSE, "closed"),
        (S.REFUNDED, REFUSE, "closed"),
    ],
)
def test_exchange_for_every_status(status, outcome, code):
    delivered = DELIVERED_2D if status in (S.DELIVERED, S.CONFIRMED) else None
    decision = policy.exchange_request(status, delivered, NOW, policy.CHANGE_OF_MIND)
    assert (decision.outcome, decision.code) == (outcome, code)


def test_exchange_window_matches_returns():
    day7, day8 = kst(2026, 11, 19, 23, 30), kst(2026, 11, 18, 23, 30)
    d7 = policy.exchange_request(S.DELIVERED, day7, NOW, policy.CHANGE_OF_MIND)
    assert (d7.outcome, d7.days_since_delivery, d7.fee) == (SELLER, 7, 0)
    assert policy.exchange_request(S.DELIVERED, day8, NOW, policy.CHANGE_OF_MIND).code == "window_passed"
    late = policy.exchange_request(S.DELIVERED, day8, NOW, policy.DEFECT)
    assert (late.outcome, late.code) == (AGENT, "late_defect")


# --------------------------------------------------------------------------- refund dates


@pytest.mark.parametrize(
    "start, days, expected",
    [
        (date(2026, 11, 26), 1, date(2026, 11, 27)),  # Thu -> Fri
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Fri -> Mon
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # Sat -> Mon
        (date(2026, 11, 29), 1, date(2026, 11, 30)),  # Sun -> Mon
        (date(2026, 11, 26), 3, date(2026, 12, 1)),
        (date(2026, 11, 26), 7, date(2026, 12, 7)),
        (date(2026, 11, 26), 0, date(2026, 11, 26)),
    ],
)
def test_add_business_days_skips_weekends(start, days, expected):
    assert policy.add_business_days(start, days) == expected
    assert expected.weekday() < 5 or days == 0


@pytest.mark.parametrize(
    "method, start, expected",
    [
        ("card", date(2026, 11, 26), date(2026, 12, 7)),  # 7 business days
        ("kakaopay", date(2026, 11, 26), date(2026, 12, 1)),  # 3 business days
        ("naverpay", date(2026, 11, 27), date(2026, 12, 2)),
        ("bank_transfer", date(2026, 11, 28), date(2026, 12, 2)),  # from a Saturday
        ("card", date(2026, 11, 29), date(2026, 12, 8)),  # from a Sunday
        ("unknown", date(2026, 11, 26), date(2026, 12, 7)),  # unknown: like a card
    ],
)
def test_expected_refund_date(method, start, expected):
    assert policy.expected_refund_date(method, start) == expected
    assert expected.weekday() < 5


def test_scenario_statuses_only_name_real_statuses():
    for statuses in policy.SCENARIO_STATUSES.values():
        assert all(isinstance(s, Status) for s in statuses)
