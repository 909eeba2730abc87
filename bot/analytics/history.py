"""Realistic history as analytics events: what a few weeks of traffic would have left in the store.

The events have the same kinds and fields as those the consumer stores from Rasa's broker and the
desk records, so the facts and metrics are computed by the same code. Deterministic for a given
seed; ends the day before `now` (KST), so today's live conversations stay apart from it.

    seed_history(session, now, conversations=900, days=21)   # the demo
    python -m bot seed --history 100000 --days 90             # load for the timing in the README
"""
from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Dict, List, Optional

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bot.analytics import facts
from bot.analytics.events import FIELDS, add_contributions, bump
from bot.analytics.models import AnalyticsEvent, ConversationFacts, TicketFacts
from bot.clock import KST, to_kst

HOUR_WEIGHTS = [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.5, 2.5, 3.2, 3.3,
                2.8, 3.0, 3.1, 3.0, 2.8, 2.6, 2.4, 2.6, 3.0, 3.2, 2.5, 1.2]
WEEKDAY_WEIGHTS = [1.0, 0.97, 0.95, 0.93, 0.9, 0.75, 0.68]
INTENTS = [("check_order_status", 34), ("faq", 19), ("cancel_order", 12), ("request_refund", 9),
           ("change_shipping_address", 8), ("check_refund_status", 8), ("return_or_exchange", 7),
           ("contact_seller", 6)]
FAQ_TOPICS = [("faq/shipping_policy", 40), ("faq/return_policy", 28), ("faq/payment", 18), ("faq/coupon_points", 14)]
# Business-rule handoffs by the intent that leads to them: (reason, target)
RULE_HANDOFFS = {"cancel_order": ("cancel_request", "seller"), "change_shipping_address": ("address_request", "seller"),
                 "return_or_exchange": ("exchange", "seller"), "contact_seller": ("product_question", "seller"),
                 "request_refund": ("late_defect", "agent"), "check_order_status": ("confirmed", "agent")}
TICKET_ID_FLOOR = 1_000_000  # history tickets never collide with the desk's own


def _pick(rng: random.Random, weighted):
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _lognormal_minutes(rng: random.Random, median: float, sigma: float) -> timedelta:
    return timedelta(minutes=median * math.exp(rng.gauss(0, sigma)))


class _Conversation:
    """Collects one conversation's events in time order."""

    def __init__(self, conversation_id: str, start: datetime, now: datetime):
        self.id, self.t, self.now = conversation_id, start, now
        self.events: List[Dict[str, Any]] = []

    def add(self, kind: str, after: float = 0.0, **fields: Any) -> None:
        self.t += timedelta(seconds=after)
        if self.t <= self.now:
            self.events.append(dict({f: None for f in FIELDS}, key=f"h:{self.id}:{len(self.events)}", kind=kind,
                                    conversation_id=self.id, at=self.t, **fields))

    def user(self, rng: random.Random, intent: str, think: float = 8.0, topic: Optional[str] = None) -> None:
        self.add("user", rng.uniform(2, think), intent=intent, topic=topic, confidence=round(rng.uniform(0.7, 1.0), 3))

    def bot(self, name: str, question: bool = False, action: Optional[str] = None) -> None:
        self.add("action", 0.2, name=action or name)
        self.add("bot", 0.3, name=name, data={"question": question})


def _one(rng: random.Random, conv: _Conversation, ticket_id: int, agents: List[int], sellers: Dict[int, int],
         customers: List[int]) -> bool:
    """Fill one conversation; True if it opened a ticket."""
    conv.add("conversation_started", data={"customer_id": rng.choice(customers) if customers and rng.random() < 0.6 else None})
    if rng.random() < 0.35:
        conv.user(rng, "greet")
        conv.bot("utter_greet", question=True)
    if rng.random() < 0.07:  # greetings only
        if rng.random() < 0.5:
            conv.user(rng, "thank")
            conv.bot("utter_thank")
        return False
    intent = _pick(rng, INTENTS)
    fallbacks = 2 if rng.random() < 0.035 else 1 if rng.random() < 0.12 else 0
    for _ in range(min(fallbacks, 1)):
        conv.user(rng, rng.choice(["nlu_fallback", "out_of_scope"]))
        conv.bot("utter_fallback_first", question=True, action="action_fallback")
    handoff: Optional[tuple] = None
    if fallbacks == 2:
        conv.user(rng, "nlu_fallback")
        conv.add("action", 0.2, name="action_fallback")
        handoff = ("fallback", "agent")
    else:
        roll = rng.random()
        topic = _pick(rng, FAQ_TOPICS) if intent == "faq" else None
        conv.user(rng, intent, topic=topic)
        if roll < 0.08:
            handoff = ("requested", "agent")
            conv.user(rng, "request_human")
        elif roll < 0.12:
            handoff = ("angry", "agent")
        elif roll < 0.22 and intent in RULE_HANDOFFS:
            handoff = RULE_HANDOFFS[intent]
        elif intent != "faq" and roll < 0.31:  # asked which order, never answered
            conv.bot("utter_choose_order", question=True)
            return False
        if handoff is None:
            if intent != "faq":
                conv.bot("utter_choose_order", question=True)
                conv.user(rng, "inform")
            conv.bot(f"utter_{intent}" if intent != "faq" else "utter_faq")
            conv.bot("utter_anything_else", question=True)
            if rng.random() < 0.55:
                conv.user(rng, rng.choice(["goodbye", "thank"]))
                conv.bot("utter_goodbye")
                _rate(rng, conv, good=True)
            return False
    reason, target = handoff
    seller_id = rng.choice(sorted(sellers)) if target == "seller" and sellers else None
    target = "seller" if seller_id else "agent"
    conv.add("handoff", 0.5, ticket_id=ticket_id, target=target, reason=reason, seller_id=seller_id)
    if target == "seller":
        wait = _lognormal_minutes(rng, 300, 1.1)
        if wait > timedelta(hours=24):
            conv.add("ticket_escalated", 24 * 3600, ticket_id=ticket_id, seller_id=seller_id)
        else:
            conv.add("ticket_replied", wait.total_seconds(), ticket_id=ticket_id, staff_id=sellers[seller_id],
                     role="seller")
            if reason in ("cancel_request", "address_request", "exchange") and rng.random() < 0.8:
                conv.add("seller_decision", 60, ticket_id=ticket_id, staff_id=sellers[seller_id], role="seller",
                         data={"approve": rng.random() < 0.7, "kind": reason.split("_")[0]})
            else:
                conv.add("ticket_handed_back", 120, ticket_id=ticket_id, staff_id=sellers[seller_id], role="seller")
            _rate(rng, conv, good=False)
            return True
    agent = rng.choice(agents) if agents else None
    conv.add("ticket_claimed", _lognormal_minutes(rng, 2.5, 0.9).total_seconds(), ticket_id=ticket_id,
             staff_id=agent, role="agent")
    conv.add("ticket_replied", rng.uniform(10, 90), ticket_id=ticket_id, staff_id=agent, role="agent")
    conv.add("ticket_replied", _lognormal_minutes(rng, 8, 0.8).total_seconds(), ticket_id=ticket_id,
             staff_id=agent, role="agent")
    finish = "ticket_handed_back" if rng.random() < 0.7 else "ticket_closed"
    conv.add(finish, _lognormal_minutes(rng, 12, 0.7).total_seconds(), ticket_id=ticket_id, staff_id=agent, role="agent")
    if finish == "ticket_handed_back":
        conv.bot("utter_handback", question=True)
    _rate(rng, conv, good=False)
    return True


def _rate(rng: random.Random, conv: _Conversation, good: bool) -> None:
    if rng.random() < 0.85:
        conv.add("csat_shown", 2, data=None)
        if rng.random() < 0.42:
            weights = [2, 3, 8, 27, 60] if good else [7, 6, 13, 30, 44]
            conv.add("csat", rng.uniform(5, 40), score=rng.choices(range(1, 6), weights)[0])


def seed_history(session: Session, now: datetime, conversations: int, days: int = 21, seed: int = 7,
                 batch: int = 5000) -> Dict[str, int]:
    """Add `conversations` conversations spread over the `days` KST days before today. Does not commit."""
    from bot.handoff.models import StaffUser
    from bot.shop.models import Customer

    rng = random.Random(seed)
    agents = list(session.execute(select(StaffUser.id).where(StaffUser.role == "agent")).scalars())
    seller_staff = dict(session.execute(select(StaffUser.seller_id, StaffUser.id).where(StaffUser.role == "seller")).all())
    customers = list(session.execute(select(Customer.id)).scalars())
    ticket_id = max(TICKET_ID_FLOOR, session.execute(select(func.max(TicketFacts.ticket_id))).scalar() or 0) + 1
    today = to_kst(now).date()
    day_list = [today - timedelta(days=d) for d in range(days, 0, -1)]
    day_weights = [WEEKDAY_WEIGHTS[d.weekday()] * (0.8 + 0.4 * i / max(1, days - 1)) for i, d in enumerate(day_list)]
    totals = {"conversations": 0, "events": 0, "tickets": 0}
    pending: Dict[str, list] = {"events": [], "conversations": [], "tickets": []}
    deltas: Dict[tuple, int] = {}

    def flush() -> None:
        for table, key in ((AnalyticsEvent, "events"), (ConversationFacts, "conversations"), (TicketFacts, "tickets")):
            if pending[key]:
                session.execute(insert(table), pending[key])
                pending[key].clear()

    for _ in range(conversations):
        day = rng.choices(day_list, day_weights)[0]
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        start_kst = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=KST)
        start = start_kst.replace(tzinfo=None) - KST.utcoffset(None)  # naive UTC
        conv = _Conversation("h%031x" % rng.getrandbits(124), start, now)
        if _one(rng, conv, ticket_id, agents, seller_staff, customers):
            ticket_id += 1
        row, tickets = facts.summarize(conv.id, [SimpleNamespace(**e) for e in conv.events])
        pending["events"] += conv.events
        pending["conversations"].append(row)
        add_contributions(deltas, row, +1)
        pending["tickets"] += tickets
        totals["conversations"] += 1
        totals["events"] += len(conv.events)
        totals["tickets"] += len(tickets)
        if len(pending["events"]) >= batch:
            flush()
    flush()
    bump(session, deltas)
    return totals
