"""Business rules of the shop, as pure functions: no Rasa, no web, no database.

Each rule returns a `Decision`. `outcome` says what happens next; `code` names the
case so the caller can pick the matching response (`utter_<scenario>_<code>`).
Dates are compared as calendar days in Korea (KST, see bot.clock).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

from bot.clock import to_kst
from bot.shop.models import Status

RETURN_WINDOW_DAYS = 7
DEFECT_CLAIM_MONTHS = 3

ALLOW, SELLER, AGENT, REFUSE = "allow", "seller", "agent", "refuse"

CHANGE_OF_MIND, DEFECT, WRONG_ITEM = "change_of_mind", "defect", "wrong_item"
RETURN_REASON_LABELS = {CHANGE_OF_MIND: "단순변심", DEFECT: "상품 불량·파손", WRONG_ITEM: "오배송"}

SHIPPED_OR_LATER = {Status.SHIPPED, Status.DELIVERED, Status.CONFIRMED}
CLAIM_IN_PROGRESS = {Status.CANCEL_REQUESTED, Status.RETURN_REQUESTED, Status.EXCHANGE_REQUESTED}
FINISHED = {Status.CANCELLED, Status.REFUNDED}


@dataclass(frozen=True)
class Decision:
    outcome: str  # allow | seller | agent | refuse
    code: str  # which case of the rule applied
    fee: int = 0
    refund_amount: int = 0
    days_since_delivery: Optional[int] = None

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOW


def days_since_delivery(delivered_at: datetime, now: datetime) -> int:
    """Calendar days in KST: delivered today is day 0, tomorrow day 1."""
    return (to_kst(now).date() - to_kst(delivered_at).date()).days


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def within_defect_claim_period(delivered_at: datetime, now: datetime) -> bool:
    delivered = to_kst(delivered_at).date()
    return to_kst(now).date() <= add_months(delivered, DEFECT_CLAIM_MONTHS)


def _closed_or_busy(status: Status) -> Optional[Decision]:
    if status in CLAIM_IN_PROGRESS:
        return Decision(REFUSE, "in_progress")
    if status in FINISHED:
        return Decision(REFUSE, "closed")
    return None


def cancellation(status: Status, total_amount: int) -> Decision:
    """PAID: cancel now with a full refund. PREPARING: the seller decides. Shipped: return later."""
    if status is Status.PAID:
        return Decision(ALLOW, "now", refund_amount=total_amount)
    if status is Status.PREPARING:
        return Decision(SELLER, "preparing", refund_amount=total_amount)
    if status in SHIPPED_OR_LATER:
        return Decision(REFUSE, "shipped")
    return _closed_or_busy(status) or Decision(REFUSE, "closed")


def return_request(
    status: Status,
    delivered_at: Optional[datetime],
    now: datetime,
    reason: str,
    total_amount: int,
    return_fee: int,
) -> Decision:
    """Return (and refund) of a delivered order.

    Within 7 days of delivery: a return request; change of mind pays the return fee.
    Later: a defect claim within 3 months goes to an agent; change of mind is declined.
    Confirmed purchases go to an agent.
    """
    if status is Status.CONFIRMED:
        return Decision(AGENT, "confirmed")
    if status in (Status.PAID, Status.PREPARING):
        return Decision(REFUSE, "not_shipped")
    if status is Status.SHIPPED:
        return Decision(REFUSE, "in_transit")
    if status is not Status.DELIVERED:
        return _closed_or_busy(status) or Decision(REFUSE, "closed")
    assert delivered_at is not None, "a delivered order has a delivery time"
    days = days_since_delivery(delivered_at, now)
    if days <= RETURN_WINDOW_DAYS:
        fee = return_fee if reason == CHANGE_OF_MIND else 0
        fee = min(fee, total_amount)
        return Decision(ALLOW, "within_window", fee=fee, refund_amount=total_amount - fee,
                        days_since_delivery=days)
    if reason in (DEFECT, WRONG_ITEM) and within_defect_claim_period(delivered_at, now):
        return Decision(AGENT, "late_defect", days_since_delivery=days)
    return Decision(REFUSE, "window_passed", days_since_delivery=days)


def exchange_request(status: Status, delivered_at: Optional[datetime], now: datetime, reason: str) -> Decision:
    """Same window as returns, but stock is the seller's: within the window it is a seller request."""
    decision = return_request(status, delivered_at, now, reason, total_amount=0, return_fee=0)
    if decision.outcome == ALLOW:
        return Decision(SELLER, "within_window", days_since_delivery=decision.days_since_delivery)
    return decision


def address_change(status: Status) -> Decision:
    if status is Status.PAID:
        return Decision(ALLOW, "now")
    if status is Status.PREPARING:
        return Decision(SELLER, "preparing")
    if status in SHIPPED_OR_LATER:
        return Decision(REFUSE, "shipped")
    return _closed_or_busy(status) or Decision(REFUSE, "closed")


def add_business_days(start: date, days: int) -> date:
    """Weekends skipped; public holidays are not modelled."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


REFUND_BUSINESS_DAYS = {"card": 7, "bank_transfer": 3, "kakaopay": 3, "naverpay": 3}


def expected_refund_date(payment_method: str, start: date) -> date:
    """The latest day the refund should show: `start` plus REFUND_BUSINESS_DAYS (7 business days
    for cards and any method not listed, 3 for bank transfers, KakaoPay and Naver Pay)."""
    return add_business_days(start, REFUND_BUSINESS_DAYS.get(payment_method, 7))


# Which orders are worth offering as buttons for each scenario, most relevant first.
SCENARIO_STATUSES = {
    "status": [Status.SHIPPED, Status.PREPARING, Status.PAID],
    "cancel": [Status.PAID, Status.PREPARING],
    "address": [Status.PAID, Status.PREPARING],
    "refund": [Status.DELIVERED, Status.CONFIRMED],
    "return": [Status.DELIVERED, Status.CONFIRMED],
    "exchange": [Status.DELIVERED, Status.CONFIRMED],
    "refund_status": [Status.RETURN_REQUESTED, Status.REFUNDED, Status.CANCELLED, Status.EXCHANGE_REQUESTED],
}
