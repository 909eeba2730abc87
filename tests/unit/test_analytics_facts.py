"""bot.analytics.facts: what a conversation's events say about it (pure, hand-built events)."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from bot.analytics.events import FIELDS
from bot.analytics.facts import contributions, summarize

T0 = datetime(2026, 11, 26, 1, 0)  # naive UTC = 10:00 KST


def ev(kind: str, minute: float, **fields):
    return SimpleNamespace(**dict({f: None for f in FIELDS}, kind=kind, at=T0 + timedelta(minutes=minute), **fields))


def test_a_bot_resolved_conversation():
    row, tickets = summarize("c1", [
        ev("conversation_started", 0, data={"customer_id": 3}),
        ev("user", 1, intent="greet"), ev("bot", 1.1, name="utter_greet", data={"question": True}),
        ev("user", 2, intent="faq", topic="faq/payment"), ev("bot", 2.1, name="utter_faq", data={"question": False}),
        ev("bot", 2.2, name="utter_anything_else", data={"question": True}),
    ])
    assert tickets == []
    assert {k: row[k] for k in ("day", "hour", "customer_id", "asked", "user_messages", "fallback_messages",
                                "first_intent", "faq_topic", "handoff_reason", "question_pending_at")} == {
        "day": "2026-11-26", "hour": 10, "customer_id": 3, "asked": True, "user_messages": 2, "fallback_messages": 0,
        "first_intent": "faq", "faq_topic": "faq/payment", "handoff_reason": None, "question_pending_at": None}
    assert contributions(row) == {"started": 1, "asked": 1, "hour:10": 1, "messages": 2, "contained": 1,
                                  "intent:faq": 1, "topic:faq/payment": 1}


def test_greetings_only_asked_nothing_and_a_silent_widget_counts_nowhere():
    row, _ = summarize("c2", [ev("user", 0, intent="greet"), ev("user", 1, intent="thank")])
    assert (row["asked"], contributions(row)) == (False, {"started": 1})
    silent, _ = summarize("c3", [ev("conversation_started", 0)])
    assert contributions(silent) == {}


def test_fallbacks_count_once_per_customer_message_and_a_question_left_open_is_pending():
    row, _ = summarize("c4", [
        ev("user", 0, intent="nlu_fallback"), ev("action", 0.1, name="action_fallback"),
        ev("action", 0.2, name="action_default_fallback"),  # same message: still one
        ev("user", 1, intent="cancel_order"), ev("bot", 1.1, name="utter_choose_order", data={"question": True}),
    ])
    assert (row["user_messages"], row["fallback_messages"], row["first_intent"]) == (2, 1, "nlu_fallback")
    assert row["question_pending_at"] == T0 + timedelta(minutes=1.1)
    assert contributions(row)["pending"] == 1 and contributions(row)["fallback_conversations"] == 1


def test_an_agent_ticket_measures_from_the_handoff_not_from_the_bot():
    row, [ticket] = summarize("c5", [
        ev("user", 0, intent="request_human"),
        ev("handoff", 1, ticket_id=7, target="agent", reason="requested"),
        ev("ticket_claimed", 3, ticket_id=7, staff_id=2, role="agent"),
        ev("ticket_replied", 4, ticket_id=7, staff_id=2, role="agent"),
        ev("ticket_replied", 9, ticket_id=7, staff_id=2, role="agent"),
        ev("ticket_handed_back", 21, ticket_id=7, staff_id=2, role="agent"),
        ev("csat_shown", 22), ev("csat", 23, score=4),
    ])
    assert (row["handoff_reason"], row["handoff_target"], row["csat_shown"], row["csat_score"]) == (
        "requested", "agent", True, 4)
    assert ticket["agent_from"] == T0 + timedelta(minutes=1)
    assert ticket["agent_first_response_at"] - ticket["agent_from"] == timedelta(minutes=3)
    assert ticket["finished_at"] - ticket["agent_from"] == timedelta(minutes=20)
    assert ticket["agent_id"] == 2
    assert contributions(row) == {"started": 1, "asked": 1, "hour:10": 1, "messages": 1, "handed_off": 1,
                                  "reason:requested": 1, "target:agent": 1, "intent:request_human": 1,
                                  "csat_shown": 1, "csat_responses": 1, "csat_sum": 4, "score:4": 1,
                                  "csat_satisfied": 1}


def test_a_late_seller_ticket_escalates_and_the_agent_clock_starts_then():
    _, [ticket] = summarize("c6", [
        ev("user", 0, intent="cancel_order"),
        ev("handoff", 1, ticket_id=8, target="seller", reason="cancel_request", seller_id=2),
        ev("ticket_escalated", 1 + 24 * 60, ticket_id=8, seller_id=2),
        ev("ticket_replied", 1 + 24 * 60 + 5, ticket_id=8, staff_id=1, role="agent"),
        ev("ticket_closed", 1 + 24 * 60 + 30, ticket_id=8, staff_id=1, role="agent"),
    ])
    assert (ticket["seller_id"], ticket["seller_answered_at"]) == (2, None)
    assert ticket["agent_from"] == ticket["escalated_at"] == T0 + timedelta(minutes=1 + 24 * 60)
    assert ticket["agent_first_response_at"] - ticket["agent_from"] == timedelta(minutes=5)
    assert ticket["agent_id"] == 1


def test_a_seller_answer_and_decision():
    _, [ticket] = summarize("c7", [
        ev("handoff", 0, ticket_id=9, target="seller", reason="exchange", seller_id=4),
        ev("ticket_replied", 120, ticket_id=9, staff_id=6, role="seller"),
        ev("seller_decision", 125, ticket_id=9, staff_id=6, role="seller", data={"approve": True}),
    ])
    assert ticket["seller_answered_at"] - ticket["opened_at"] == timedelta(hours=2)
    assert ticket["finished_at"] - ticket["opened_at"] == timedelta(minutes=125)
    assert (ticket["agent_from"], ticket["agent_id"]) == (None, None)


def test_a_fallback_response_said_by_another_action_counts_too():
    row, _ = summarize("c8", [
        ev("user", 0, intent="nlu_fallback"), ev("action", 0.1, name="action_fallback"),
        ev("bot", 0.2, name="utter_fallback_first", data={"question": True}),
        ev("user", 1, intent="deny"), ev("action", 1.1, name="action_decline_change"),
        ev("bot", 1.2, name="utter_fallback_handoff", data={"question": False}),
    ])
    assert (row["user_messages"], row["fallback_messages"]) == (2, 2)
