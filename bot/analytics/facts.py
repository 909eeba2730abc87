"""What a conversation's events say about it: one row of facts per conversation and per ticket.

Pure functions over event-like objects (anything with the AnalyticsEvent attributes, in time
order): no database, no web. bot.analytics.events stores their result; the metrics read it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.clock import to_kst

SMALL_TALK = {"greet", "goodbye", "thank", "bot_challenge"}  # a conversation of only these asked nothing
# A customer message "got the fallback" when the fallback action ran or the bot said a fallback response
# (other actions say them too: a 「네」 with nothing to confirm, a scenario that cannot resume).
FALLBACK_ACTIONS = {"action_fallback", "action_default_fallback", "action_two_stage_fallback"}
FALLBACK_RESPONSES = {"utter_fallback_first", "utter_fallback_handoff"}
# Questions whose silence is a quiet "no": "anything else?" is an end, not an abandonment.
CLOSING_QUESTIONS = {"utter_anything_else", "utter_handback", "utter_change_declined", "utter_thank",
                     "utter_goodbye", "utter_greet", "utter_nothing_pending"}
FINISHES = {"ticket_handed_back", "ticket_closed"}


def summarize(conversation_id: str, events: Sequence[Any]) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """(conversation facts, [ticket facts]) from the conversation's events in time order."""
    started = events[0].at
    user_messages = fallback_messages = 0
    fell_back = False  # the current customer message got the fallback
    asked = False
    first_intent: Optional[str] = None
    faq_topic: Optional[str] = None
    handoff: Optional[Any] = None
    pending: Optional[datetime] = None
    csat_shown, csat_score, customer_id = False, None, None
    tickets: Dict[int, Dict[str, Any]] = {}
    for e in events:
        if e.kind == "conversation_started":
            started = min(started, e.at)
            customer_id = (e.data or {}).get("customer_id")
        elif e.kind == "user":
            user_messages += 1
            fell_back, pending = False, None
            if e.intent and e.intent not in SMALL_TALK:
                asked = True
                first_intent = first_intent or e.intent
            if e.topic:
                faq_topic = faq_topic or e.topic
        if (e.kind == "action" and e.name in FALLBACK_ACTIONS) or (e.kind == "bot" and e.name in FALLBACK_RESPONSES):
            if not fell_back and user_messages:
                fallback_messages += 1
            fell_back = True
        if e.kind == "bot":
            question = bool((e.data or {}).get("question")) and e.name not in CLOSING_QUESTIONS
            pending = e.at if question else None
        elif e.kind == "handoff":
            handoff = handoff or e
            asked = True
            tickets[e.ticket_id] = _ticket(conversation_id, e)
        elif e.kind in ("csat_shown", "csat"):
            csat_shown = True
            if e.kind == "csat":
                csat_score = e.score
        if e.ticket_id in tickets and e.kind != "handoff":
            _ticket_moves(tickets[e.ticket_id], e)
    kst = to_kst(started)
    row = {
        "conversation_id": conversation_id,
        "started_at": started,
        "day": kst.strftime("%Y-%m-%d"),
        "hour": kst.hour,
        "customer_id": customer_id,
        "asked": asked,
        "user_messages": user_messages,
        "fallback_messages": fallback_messages,
        "first_intent": first_intent,
        "faq_topic": faq_topic,
        "handoff_reason": handoff.reason if handoff else None,
        "handoff_target": handoff.target if handoff else None,
        "question_pending_at": None if handoff else pending,
        "last_at": max(e.at for e in events),
        "csat_shown": csat_shown,
        "csat_score": csat_score,
    }
    return row, list(tickets.values())


def _ticket(conversation_id: str, handoff: Any) -> Dict[str, Any]:
    return {
        "ticket_id": handoff.ticket_id,
        "conversation_id": conversation_id,
        "opened_at": handoff.at,
        "day": to_kst(handoff.at).strftime("%Y-%m-%d"),
        "target": handoff.target,
        "reason": handoff.reason,
        "seller_id": handoff.seller_id,
        "seller_answered_at": None,
        "escalated_at": None,
        "agent_from": handoff.at if handoff.target == "agent" else None,
        "agent_first_response_at": None,
        "agent_id": None,
        "finished_at": None,
    }


def _ticket_moves(ticket: Dict[str, Any], e: Any) -> None:
    """One staff move on a ticket. First responses are the first reply or decision to the customer:
    a seller's before the deadline, an agent's after the handoff (or the escalation), bot time excluded."""
    if e.kind == "ticket_escalated":
        ticket["escalated_at"] = ticket["escalated_at"] or e.at
        ticket["agent_from"] = ticket["agent_from"] or e.at
    elif e.kind in ("ticket_replied", "seller_decision"):
        if e.role == "seller":
            ticket["seller_answered_at"] = ticket["seller_answered_at"] or e.at
        elif ticket["agent_from"] is not None or ticket["target"] == "agent":
            ticket["agent_from"] = ticket["agent_from"] or ticket["opened_at"]
            if ticket["agent_first_response_at"] is None:
                ticket["agent_first_response_at"], ticket["agent_id"] = e.at, e.staff_id
        if e.kind == "seller_decision":
            ticket["finished_at"] = ticket["finished_at"] or e.at
    elif e.kind == "ticket_claimed" and e.role == "agent":
        ticket["agent_id"] = ticket["agent_id"] or e.staff_id
    elif e.kind in FINISHES:
        ticket["finished_at"] = ticket["finished_at"] or e.at
        if e.role == "agent":
            ticket["agent_id"] = ticket["agent_id"] or e.staff_id


def contributions(row: Dict[str, Any]) -> Dict[str, int]:
    """What one conversation's facts add to its day's counts (bot.analytics.models.DayCount).
    The metrics add these up; keys with a prefix (reason:, hour:, ...) are breakdowns."""
    spoke = row["user_messages"] > 0 or row["asked"]
    if not spoke:
        return {}
    out = {"started": 1}
    if row["csat_shown"]:
        out["csat_shown"] = 1
    if row["csat_score"] is not None:
        out.update({"csat_responses": 1, "csat_sum": row["csat_score"], f"score:{row['csat_score']}": 1})
        if row["csat_score"] >= 4:
            out["csat_satisfied"] = 1
    if not row["asked"]:
        return out
    out.update({"asked": 1, f"hour:{row['hour']}": 1, "messages": row["user_messages"]})
    if row["fallback_messages"]:
        out.update({"fallback_messages": row["fallback_messages"], "fallback_conversations": 1})
    if row["handoff_reason"] is None:
        out["contained"] = 1
        if row["question_pending_at"] is not None:
            out["pending"] = 1
    else:
        out.update({"handed_off": 1, f"reason:{row['handoff_reason']}": 1, f"target:{row['handoff_target']}": 1})
    if row["first_intent"]:
        out[f"intent:{row['first_intent']}"] = 1
    if row["faq_topic"]:
        out[f"topic:{row['faq_topic']}"] = 1
    return out
