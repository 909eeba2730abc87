"""Handing the conversation to a person: asked for, not understood twice, or angry."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.glue import hand_off, latest_text, order_vars
from bot.nlp.abuse import is_abusive
from bot.shop.models import Order

HANDOFF_AFTER_FALLBACKS = 2


def contact_seller(dispatcher: CollectingDispatcher, tracker: Tracker, session: Session, order: Order) -> List[EventType]:
    """A product question goes to the seller of the order's product, with the transcript."""
    dispatcher.utter_message(response="utter_handoff_seller", **order_vars(order))
    return hand_off(dispatcher, tracker, target="seller", reason="product_question", kind="question", order=order)


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many user turns in a row, this one included, the bot failed to understand."""
    count, answered_by, seen_current = 1, None, False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "action" and event.get("name") != "action_listen":
            answered_by = event.get("name")  # walking back: ends as the first action after a user turn
        elif kind == "user":
            if seen_current and answered_by != "action_fallback":
                break
            count += 1 if seen_current else 0
            seen_current, answered_by = True, None
    return count


class ActionRequestHuman(Action):
    def name(self) -> Text:
        return "action_request_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_handoff_agent")
        return hand_off(dispatcher, tracker, target="agent", reason="requested")


class ActionFallback(Action):
    def name(self) -> Text:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if is_abusive(latest_text(tracker)):
            dispatcher.utter_message(response="utter_handoff_angry")
            return hand_off(dispatcher, tracker, target="agent", reason="angry")
        if consecutive_fallbacks(tracker) >= HANDOFF_AFTER_FALLBACKS:
            dispatcher.utter_message(response="utter_fallback_handoff")
            return hand_off(dispatcher, tracker, target="agent", reason="fallback")
        dispatcher.utter_message(response="utter_fallback_first")
        return []


class ActionOutOfScope(Action):
    def name(self) -> Text:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if is_abusive(latest_text(tracker)):
            dispatcher.utter_message(response="utter_handoff_angry")
            return hand_off(dispatcher, tracker, target="agent", reason="angry")
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
