"""The one way anything records an analytics event, and Rasa's events translated into ours.

Every event has a unique `key`: storing it twice (a consumer re-reading its source, a message
redelivered by RabbitMQ, a restart in the middle of a batch) is a no-op, so nothing is counted
twice. Storing events rebuilds the facts of their conversations (bot.analytics.facts) in the
same transaction, so the dashboard never sees an event without its facts.

    record(session, "handoff", conversation_id, key=f"handoff:{ticket.id}", ticket_id=..., reason=...)
    store(session, [rasa_row(e) for e in broker_events])
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from bot.analytics import facts
from bot.analytics.models import AnalyticsEvent, ConversationFacts, DayCount, TicketFacts
from bot.db import utcnow

log = logging.getLogger(__name__)

FIELDS = ("intent", "topic", "name", "confidence", "ticket_id", "staff_id", "seller_id", "target", "reason",
          "role", "score", "data")
RASA_SKIPPED_ACTIONS = {"action_listen", "action_session_start", "action_unlikely_intent"}


def record(session: Session, kind: str, conversation_id: str, *, key: Optional[str] = None,
           at: Optional[datetime] = None, **fields: Any) -> int:
    """Store one event of the gateway or the desk in the caller's transaction; 0 if its key was
    already stored. Without a key the event is one of a kind (a reply): a fresh random one."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields: {sorted(unknown)}")
    key = key or f"{kind}:{uuid.uuid4().hex}"
    return store(session, [dict(fields, key=key, kind=kind, conversation_id=conversation_id, at=at or utcnow())])


def store(session: Session, rows: Iterable[Optional[Dict[str, Any]]]) -> int:
    """Insert the rows whose key is new, then rebuild the facts of their conversations.
    Returns how many rows were new."""
    rows = [r for r in rows if r]
    if not rows:
        return 0
    unique = {r["key"]: r for r in rows}
    known: Set[str] = set()
    keys = list(unique)
    for i in range(0, len(keys), 500):
        known.update(session.execute(select(AnalyticsEvent.key).where(
            AnalyticsEvent.key.in_(keys[i:i + 500]))).scalars())
    new = [dict({f: None for f in FIELDS}, **r) for k, r in unique.items() if k not in known]
    if not new:
        return 0
    session.execute(_insert_ignoring(session, AnalyticsEvent, ["key"]), new)
    refresh(session, {r["conversation_id"] for r in new})
    return len(new)


def _insert_ignoring(session: Session, model, conflict: List[str]):
    """Another process may store the same key between our check and our insert: skip it there too."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model.__table__).on_conflict_do_nothing(index_elements=conflict)
    return insert(model.__table__).prefix_with("OR IGNORE")


def refresh(session: Session, conversation_ids: Set[str]) -> None:
    """Rebuild the facts of these conversations from all their events, and move their
    contributions to the day counts from the old facts to the new."""
    ids = sorted(conversation_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        _lock_conversations(session, chunk)
        events = session.execute(select(AnalyticsEvent).where(AnalyticsEvent.conversation_id.in_(chunk))
                                 .order_by(AnalyticsEvent.conversation_id, AnalyticsEvent.at,
                                           AnalyticsEvent.id)).scalars().all()
        by_conversation: Dict[str, List[AnalyticsEvent]] = {}
        for event in events:
            by_conversation.setdefault(event.conversation_id, []).append(event)
        deltas: Dict[Tuple[str, str], int] = {}
        for old in session.execute(select(ConversationFacts.__table__).where(
                ConversationFacts.conversation_id.in_(chunk))).mappings():
            add_contributions(deltas, old, -1)
        session.execute(delete(TicketFacts).where(TicketFacts.conversation_id.in_(chunk)))
        session.execute(delete(ConversationFacts).where(ConversationFacts.conversation_id.in_(chunk)))
        conversations, tickets = [], []
        for conversation_id, conversation_events in by_conversation.items():
            row, ticket_rows = facts.summarize(conversation_id, conversation_events)
            conversations.append(row)
            tickets += ticket_rows
            add_contributions(deltas, row, +1)
        if conversations:
            session.execute(insert(ConversationFacts), conversations)
        if tickets:
            session.execute(insert(TicketFacts), tickets)
        bump(session, deltas)


def _lock_conversations(session: Session, conversation_ids: List[str]) -> None:
    """One rebuild at a time per conversation, until the transaction ends: several gateways
    (their requests, their event consumers) may store events of one conversation at once, and
    two rebuilds would both insert its facts. PostgreSQL: transaction-level advisory locks, in
    sorted order; SQLite has one writer at a time anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for conversation_id in conversation_ids:
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:id))"), {"id": f"facts:{conversation_id}"})


def add_contributions(deltas: Dict[Tuple[str, str], int], row, sign: int) -> None:
    for key, n in facts.contributions(row).items():
        deltas[(row["day"], key)] = deltas.get((row["day"], key), 0) + sign * n


def bump(session: Session, deltas: Dict[Tuple[str, str], int]) -> None:
    """Add the deltas to the day counts; each addition is one atomic UPDATE (safe beside other writers)."""
    items = [{"d": day, "k": key, "delta": n} for (day, key), n in sorted(deltas.items()) if n]
    if not items:
        return
    conn = session.connection()
    conn.execute(_insert_ignoring(session, DayCount, ["day", "key"]),
                 [{"day": i["d"], "key": i["k"], "n": 0} for i in items])
    table = DayCount.__table__
    conn.execute(update(table).where(table.c.day == bindparam("d"), table.c.key == bindparam("k"))
                 .values(n=table.c.n + bindparam("delta")), items)


# --- Rasa's events ------------------------------------------------------------------------
def rasa_row(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """One event from Rasa's event broker as a row of ours, or None for what we do not keep
    (slots, listens, session starts, ...). The key is made of what identifies the event in the
    tracker, so the same event read twice, from any source, gets the same key."""
    kind, sender, stamp = event.get("event"), event.get("sender_id"), event.get("timestamp")
    if not sender or stamp is None:
        return None
    at = datetime.fromtimestamp(float(stamp), timezone.utc).replace(tzinfo=None)
    base = {"conversation_id": str(sender)[:64], "at": at}
    if kind == "user":
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        name = intent.get("name")
        selected = ((parse.get("response_selector") or {}).get(name) or {}).get("response") or {}
        found = [e for e in parse.get("entities") or [] if e.get("entity")]
        entities = sorted({e["entity"] for e in found})
        ident = event.get("message_id") or repr(stamp)
        # For the authors' review (bot.studio): which gateway message this was ("m<Message.id>"),
        # the runner-up intent and the entities' values (order numbers, phone digits).
        ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != name]
        data: Dict[str, Any] = {"entities": entities} if entities else {}
        if event.get("message_id"):
            data["message_id"] = str(event["message_id"])
        if ranking:
            data["runner_up"] = [ranking[0].get("name"), ranking[0].get("confidence")]
        if found:
            data["values"] = [[e["entity"], str(e.get("value"))] for e in found]
        return dict(base, key=_key(sender, "user", ident), kind="user", intent=name,
                    confidence=intent.get("confidence"), topic=selected.get("intent_response_key"),
                    data=data or None)
    if kind == "action":
        name = event.get("name")
        if not name or name in RASA_SKIPPED_ACTIONS:
            return None
        return dict(base, key=_key(sender, "action", repr(stamp), name), kind="action", name=name,
                    confidence=event.get("confidence"), data={"policy": event.get("policy")})
    if kind == "bot":
        data = event.get("data") or {}
        text = (event.get("text") or "").strip()
        utterance = (event.get("metadata") or {}).get("utter_action")
        if not text and not data.get("buttons"):
            return None  # custom payloads (the handoff) are counted by the desk
        question = bool(data.get("buttons")) or text.endswith("?")
        return dict(base, key=_key(sender, "bot", repr(stamp), text), kind="bot", name=utterance,
                    data={"question": question})
    return None


def _key(sender: str, kind: str, *parts: str) -> str:
    digest = hashlib.sha1("\x1f".join((str(sender), kind) + parts).encode()).hexdigest()[:24]
    return f"rasa:{kind}:{digest}"
