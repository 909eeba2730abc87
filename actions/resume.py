"""Continuing a scenario by name: a detail given on its own, or an order number NLU did not place.

The scenario's name is kept in the `scenario` slot by actions.lookup.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import address, cancel, claims, handoff, status
from actions.identity import latest_entity, latest_text
from actions.scenario import Scenario, run_scenario
from bot.nlp.abuse import is_abusive
from bot.nlp.keywords import scenario_from_text

SCENARIOS: Dict[str, Scenario] = {
    "status": status.order_status,
    "cancel": cancel.cancel,
    "refund": claims.refund,
    "return": claims.refund,
    "exchange": claims.exchange,
    "refund_status": claims.refund_status,
    "address": address.change_address,
    "seller": handoff.contact_seller,
}


def resume(dispatcher: CollectingDispatcher, tracker: Tracker, name: str) -> List[EventType]:
    return run_scenario(dispatcher, tracker, name, SCENARIOS[name], continuing=True)


class ActionResumeScenario(Action):
    """A detail on its own (order number, phone digits, a button) continues the pending scenario."""

    def name(self) -> Text:
        return "action_resume_scenario"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        name: Optional[str] = tracker.get_slot("scenario")
        if name not in SCENARIOS:
            if latest_entity(tracker, "order_id") is None and tracker.get_slot("verified_order") is None \
                    and latest_entity(tracker, "phone_last4") is None:
                return handoff.not_understood(dispatcher, tracker) + [SlotSet("address_step", None)]
            name = scenario_from_text(latest_text(tracker))
        return resume(dispatcher, tracker, name)


class ActionFallback(Action):
    """Not understood. An order number in the message still says which order: follow the words."""

    def name(self) -> Text:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if latest_entity(tracker, "order_id") is not None and not is_abusive(latest_text(tracker)):
            return resume(dispatcher, tracker, scenario_from_text(latest_text(tracker)))
        return handoff.not_understood(dispatcher, tracker)
