"""Conversation review: the filtered list, the annotated transcript, reviewed marks and tags.

Everything comes from what is already stored: the facts per conversation and Rasa's events in
the analytics store (bot.analytics: intent, confidence, runner-up, entities, actions), the
gateway's messages (the texts) and the desk's tickets (handoffs by reason). Every text an author
sees is masked (bot.studio.privacy).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from bot.analytics.facts import FALLBACK_ACTIONS, FALLBACK_RESPONSES
from bot.analytics.models import AnalyticsEvent, ConversationFacts
from bot.conversation.models import Conversation, Message
from bot.handoff.models import Ticket
from bot.shop.models import Customer, Order
from bot.studio.privacy import mask
from bot.studio.tables import ConversationReview

MAX_ROWS = 200
# Entity values that are pieces of personal data themselves: shown as a label, never the value.
MASKED_ENTITIES = {"phone_last4": "[전화번호 뒷자리]"}


@dataclass
class Filters:
    fallback: bool = False
    handoff: Optional[str] = None  # a reason, or "any"
    confidence_below: Optional[float] = None
    csat_low: bool = False  # CSAT <= 2
    intent: Optional[str] = None
    day_from: Optional[date] = None  # KST days, inclusive
    day_to: Optional[date] = None
    unreviewed: bool = False


def names_of(session: Session, customer_id: Optional[int]) -> List[str]:
    """The names the shop knows for a customer: their own and their orders' orderers and recipients."""
    if customer_id is None:
        return []
    names = set(session.execute(select(Customer.name).where(Customer.id == customer_id)).scalars())
    for orderer, recipient in session.execute(select(Order.orderer_name, Order.recipient_name)
                                              .where(Order.customer_id == customer_id)):
        names |= {orderer, recipient}
    return sorted(n for n in names if n)


def conversations(session: Session, f: Filters, limit: int = MAX_ROWS) -> List[Dict[str, Any]]:
    facts = ConversationFacts
    user_event = and_(AnalyticsEvent.conversation_id == facts.conversation_id, AnalyticsEvent.kind == "user")
    query = select(facts)
    if f.fallback:
        query = query.where(facts.fallback_messages > 0)
    if f.handoff:
        ticket = Ticket.conversation_id == facts.conversation_id
        query = query.where(exists().where(ticket if f.handoff == "any" else and_(ticket, Ticket.reason == f.handoff)))
    if f.confidence_below is not None:
        query = query.where(exists().where(user_event, AnalyticsEvent.confidence < f.confidence_below))
    if f.csat_low:
        query = query.where(facts.csat_score <= 2)
    if f.intent:
        query = query.where(exists().where(user_event, AnalyticsEvent.intent == f.intent))
    if f.day_from:
        query = query.where(facts.day >= f.day_from.isoformat())
    if f.day_to:
        query = query.where(facts.day <= f.day_to.isoformat())
    if f.unreviewed:
        query = query.where(~exists().where(ConversationReview.conversation_id == facts.conversation_id,
                                            ConversationReview.reviewed_at.isnot(None)))
    rows = session.execute(query.order_by(facts.last_at.desc()).limit(limit)).scalars().all()
    ids = [r.conversation_id for r in rows]
    if not ids:
        return []
    lowest = dict(session.execute(select(AnalyticsEvent.conversation_id, func.min(AnalyticsEvent.confidence))
                                  .where(AnalyticsEvent.conversation_id.in_(ids), AnalyticsEvent.kind == "user")
                                  .group_by(AnalyticsEvent.conversation_id)).all())
    reasons: Dict[str, List[str]] = {}
    for cid, reason in session.execute(select(Ticket.conversation_id, Ticket.reason)
                                       .where(Ticket.conversation_id.in_(ids)).order_by(Ticket.id)):
        reasons.setdefault(cid, []).append(reason)
    reviews = {r.conversation_id: r for r in session.execute(
        select(ConversationReview).where(ConversationReview.conversation_id.in_(ids))).scalars()}
    first_text = dict(session.execute(
        select(Message.conversation_id, Message.text).where(Message.id.in_(
            select(func.min(Message.id)).where(Message.conversation_id.in_(ids), Message.sender == "customer")
            .group_by(Message.conversation_id)))).all())
    out = []
    for r in rows:
        review = reviews.get(r.conversation_id)
        text = first_text.get(r.conversation_id)
        out.append({
            "conversation_id": r.conversation_id, "started_at": r.started_at.isoformat() + "Z", "day": r.day,
            "user_messages": r.user_messages, "fallback_messages": r.fallback_messages,
            "handoff_reasons": reasons.get(r.conversation_id, []), "csat": r.csat_score,
            "lowest_confidence": lowest.get(r.conversation_id), "first_intent": r.first_intent,
            "first_message": mask(text, names_of(session, r.customer_id)) if text else None,
            "reviewed": bool(review and review.reviewed_at), "tags": list(review.tags) if review else [],
        })
    return out


def transcript(session: Session, conversation_id: str) -> Optional[Dict[str, Any]]:
    """Every message, masked; beside each customer message what the bot understood and did."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        return None
    names = names_of(session, conv.customer_id)
    events = session.execute(select(AnalyticsEvent).where(AnalyticsEvent.conversation_id == conversation_id)
                             .order_by(AnalyticsEvent.at, AnalyticsEvent.id)).scalars().all()
    understood: Dict[str, Dict[str, Any]] = {}
    current: Optional[Dict[str, Any]] = None
    for e in events:
        data = e.data or {}
        if e.kind == "user":
            runner = data.get("runner_up")
            current = {"intent": e.intent, "confidence": e.confidence, "topic": e.topic,
                       "runner_up": {"intent": runner[0], "confidence": runner[1]} if runner else None,
                       "entities": [{"entity": k, "value": MASKED_ENTITIES.get(k) or mask(v, names)}
                                    for k, v in data.get("values") or []],
                       "actions": [], "fallback": False}
            understood[data.get("message_id") or f"event{e.id}"] = current
        elif current is not None and e.kind in ("action", "bot"):
            if e.kind == "action":
                current["actions"].append(e.name)
            if (e.kind == "action" and e.name in FALLBACK_ACTIONS) or (e.kind == "bot" and e.name in FALLBACK_RESPONSES):
                current["fallback"] = True
    messages = []
    for m in session.execute(select(Message).where(Message.conversation_id == conversation_id)
                             .order_by(Message.id)).scalars():
        item = {"id": m.id, "sender": m.sender, "text": mask(m.text or "", names),
                "created_at": m.created_at.isoformat() + "Z"}
        if m.sender == "customer":
            item["nlu"] = understood.get(f"m{m.id}")
        messages.append(item)
    review = session.get(ConversationReview, conversation_id)
    tickets = [{"id": t.id, "reason": t.reason, "target": t.target, "status": t.status} for t in session.execute(
        select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id)).scalars()]
    return {"conversation_id": conversation_id, "messages": messages, "tickets": tickets,
            "reviewed": bool(review and review.reviewed_at), "tags": list(review.tags) if review else []}


def mark(session: Session, conversation_id: str, by: int, at: datetime, reviewed: Optional[bool] = None,
         tags: Optional[List[str]] = None) -> Dict[str, Any]:
    review = session.get(ConversationReview, conversation_id)
    if review is None:
        review = ConversationReview(conversation_id=conversation_id, tags=[])
        session.add(review)
    if reviewed is not None:
        review.reviewed_at, review.reviewed_by = (at, by) if reviewed else (None, None)
    if tags is not None:
        review.tags = sorted({t.strip()[:30] for t in tags if t.strip()})[:20]
    session.flush()
    return {"conversation_id": conversation_id, "reviewed": review.reviewed_at is not None, "tags": review.tags}
