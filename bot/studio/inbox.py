"""The NLU inbox: customer messages the bot was unsure about or got wrong, grouped by
near-duplicates, most frequent first, until an author confirms, corrects or dismisses them.

"Unsure or wrong": the NLU's confidence was below UNSURE_BELOW, the FallbackClassifier answered
(nlu_fallback), or the fallback followed the message. Near-duplicates: the same text once
spaces, punctuation, digits and personal data are set aside, or texts whose character bigrams
overlap by NEAR_DUPLICATE or more (「배송 언제 와요」, 「배송언제와요??」, 「배송 언제와여」).
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional, Set

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.analytics.facts import FALLBACK_ACTIONS, FALLBACK_RESPONSES
from bot.analytics.models import AnalyticsEvent
from bot.conversation.models import Conversation, Message
from bot.studio.privacy import mask
from bot.studio.review import names_of
from bot.studio.tables import InboxDecision

UNSURE_BELOW = 0.9  # DIET is often wrong with confidence 0.7-0.9 (design notes): 0.9 catches those
NEAR_DUPLICATE = 0.6
DAYS = 30
MAX_MESSAGES = 3000


def normal(text: str) -> str:
    """The text with spaces, punctuation and digits set aside, for grouping."""
    text = re.sub(r"\[[^\]]+\]", "#", text.lower())
    text = re.sub(r"[0-9]+", "#", text)
    return re.sub(r"[\s\W_]+", "", text)


def bigrams(text: str) -> Set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def similar(a: Set[str], b: Set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def group(items: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Items ({"message_id", "text" (masked), "intent", "confidence", "at"}) in groups of near-duplicates,
    the largest first (then the most recent)."""
    groups: List[Dict[str, Any]] = []
    for item in sorted(items, key=lambda i: i["at"]):
        key = normal(item["text"])
        grams = bigrams(key)
        home = next((g for g in groups if g["key"] == key), None) or next(
            (g for g in groups if similar(g["grams"], grams) >= NEAR_DUPLICATE), None)
        if home is None:
            home = {"key": key, "grams": grams, "items": []}
            groups.append(home)
        home["items"].append(item)
    out = []
    for g in groups:
        items = g["items"]
        intents = Counter(i["intent"] for i in items if i["intent"])
        texts = list(dict.fromkeys(i["text"] for i in items))
        out.append({"text": texts[0], "variants": texts[:5], "count": len(items),
                    "message_ids": [i["message_id"] for i in items],
                    "predicted": intents.most_common(1)[0][0] if intents else None,
                    "confidence": round(min(i["confidence"] for i in items), 3)
                    if all(i["confidence"] is not None for i in items) else None,
                    "last_at": items[-1]["at"].isoformat() + "Z"})
    out.sort(key=lambda g: g["last_at"], reverse=True)  # newest first among equal counts (the sort is stable)
    out.sort(key=lambda g: -g["count"])
    return out


def candidates(session: Session, now: datetime, days: int = DAYS) -> List[Dict[str, Any]]:
    """The undecided unsure-or-wrong customer messages of the last `days` days, masked."""
    since = now - timedelta(days=days)
    events = session.execute(select(AnalyticsEvent).where(
        AnalyticsEvent.at >= since, AnalyticsEvent.kind.in_(("user", "action", "bot")))
        .order_by(AnalyticsEvent.conversation_id, AnalyticsEvent.at, AnalyticsEvent.id)).scalars()
    picked: Dict[int, Dict[str, Any]] = {}
    current: Optional[Dict[str, Any]] = None
    for e in events:
        data = e.data or {}
        if e.kind == "user":
            current = None
            ref = data.get("message_id") or ""
            if not (ref.startswith("m") and ref[1:].isdigit()):
                continue
            runner = data.get("runner_up")
            predicted = runner[0] if e.intent == "nlu_fallback" and runner else e.intent
            current = {"message_id": int(ref[1:]), "intent": predicted, "confidence": e.confidence,
                       "at": e.at, "conversation_id": e.conversation_id}
            if e.intent == "nlu_fallback" or (e.confidence is not None and e.confidence < UNSURE_BELOW):
                picked[current["message_id"]] = current
        elif current is not None and (e.name in FALLBACK_ACTIONS or e.name in FALLBACK_RESPONSES):
            picked[current["message_id"]] = current
        if len(picked) >= MAX_MESSAGES:
            break
    if not picked:
        return []
    ids = list(picked)
    decided: Set[int] = set()
    rows = []
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        decided |= set(session.execute(select(InboxDecision.message_id).where(
            InboxDecision.message_id.in_(chunk))).scalars())
        rows += session.execute(select(Message.id, Message.text, Conversation.customer_id)
                                .join(Conversation, Conversation.id == Message.conversation_id)
                                .where(Message.id.in_(chunk), Message.sender == "customer")).all()
    names: Dict[Optional[int], List[str]] = {}
    out = []
    for message_id, text, customer_id in rows:
        if message_id in decided or not (text or "").strip():
            continue
        if customer_id not in names:
            names[customer_id] = names_of(session, customer_id)
        out.append(dict(picked[message_id], text=mask(text, names[customer_id])))
    return out


def inbox(session: Session, now: datetime) -> List[Dict[str, Any]]:
    return group(candidates(session, now))


def original_text(session: Session, message_id: int) -> Optional[tuple]:
    """(the customer's text as typed, the names to keep out of it) for writing an example."""
    row = session.execute(select(Message.text, Conversation.customer_id)
                          .join(Conversation, Conversation.id == Message.conversation_id)
                          .where(Message.id == message_id, Message.sender == "customer")).first()
    return (row.text, names_of(session, row.customer_id)) if row else None


def decide(session: Session, message_ids: List[int], decision: str, intent: Optional[str], by: int,
           at: datetime, change_id: Optional[int] = None) -> int:
    known = set(session.execute(select(InboxDecision.message_id).where(
        InboxDecision.message_id.in_(message_ids))).scalars())
    new = [i for i in dict.fromkeys(message_ids) if i not in known]
    for message_id in new:
        session.add(InboxDecision(message_id=message_id, decision=decision, intent=intent, change_id=change_id,
                                  decided_by=by, decided_at=at))
    session.flush()
    return len(new)
