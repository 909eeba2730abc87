"""Handing the conversation to a person: asked for, not understood twice, or angry."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.handoff_payload import hand_off
from actions.identity import latest_text
from actions.scenario import ScenarioAction
from actions.wording import order_vars
from bot.nlp.abuse import is_abusive
from bot.shop.models import Order

HANDOFF_AFTER_FALLBACKS = 2


def contact_seller(dispatcher: CollectingDispatcher, tracker: Tracker, session: Session, order: Order) -> List[EventType]:
    """A product question goes to the seller of the order's product, with the transcript."""
    dispatcher.utter_message(response="utter_handoff_seller", **order_vars(order))
    return hand_off(dispatcher, tracker, target="seller", reason="product_question", kind="question", order=order)


class ActionContactSeller(ScenarioAction):
    action_name, scenario_name, scenario = "action_contact_seller", "seller", staticmethod(contact_seller)


FALLBACK_RESPONSES = {"utter_fallback_first", "utter_fallback_handoff"}


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many user turns in a row, this one included, the bot failed to understand.

    A turn counts when the bot answered it with a fallback response, whichever action did.
    """
    count, fell_back, seen_current = 1, False, False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "bot" and (event.get("metadata") or {}).get("utter_action") in FALLBACK_RESPONSES:
            fell_back = True
        elif kind == "user":
            if seen_current:
                if not fell_back:
                    break
                count += 1
            seen_current, fell_back = True, False
    return count


def not_understood(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Say so and offer the menu; the second time in a row (or when abusive) hand off to an agent."""
    if is_abusive(latest_text(tracker)):
        dispatcher.utter_message(response="utter_handoff_angry")
        return hand_off(dispatcher, tracker, target="agent", reason="angry")
    if consecutive_fallbacks(tracker) >= HANDOFF_AFTER_FALLBACKS:
        dispatcher.utter_message(response="utter_fallback_handoff")
        return hand_off(dispatcher, tracker, target="agent", reason="fallback")
    dispatcher.utter_message(response="utter_fallback_first")
    return []


class ActionRequestHuman(Action):
    def name(self) -> Text:
        return "action_request_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_handoff_agent")
        return hand_off(dispatcher, tracker, target="agent", reason="requested")


class ActionOutOfScope(Action):
    def name(self) -> Text:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if is_abusive(latest_text(tracker)):
            dispatcher.utter_message(response="utter_handoff_angry")
            return hand_off(dispatcher, tracker, target="agent", reason="angry")
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
