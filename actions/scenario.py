"""One action per scenario intent, plus the resume action that continues a scenario.

Each scenario is a function `(dispatcher, tracker, session, order) -> events` that runs
once the order is known (see actions.lookup); this module only wires them up.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import address, cancel, claims, handoff, status
from actions.wording import latest_entity, latest_text
from actions.lookup import find_order
from bot.db import session_scope
from bot.nlp.abuse import is_abusive
from bot.nlp.keywords import scenario_from_text, wants_exchange

Scenario = Callable[..., List[EventType]]

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


def run_scenario(dispatcher: CollectingDispatcher, tracker: Tracker, task: str, continuing: bool) -> List[EventType]:
    with session_scope() as session:
        found = find_order(dispatcher, tracker, session, task, continuing)
        events = found.events
        if found.order is not None:
            events = events + SCENARIOS[task](dispatcher, tracker, session, found.order)
    if not any(e.get("event") == "slot" and e.get("name") == "address_step" for e in events):
        events.append(SlotSet("address_step", None))  # the rules branch on it: always say
    return events


class ScenarioAction(Action):
    task = ""
    action_name = ""

    def name(self) -> Text:
        return self.action_name

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return run_scenario(dispatcher, tracker, self.task, continuing=False)


class ActionCheckOrderStatus(ScenarioAction):
    task, action_name = "status", "action_check_order_status"


class ActionCancelOrder(ScenarioAction):
    task, action_name = "cancel", "action_cancel_order"


class ActionRequestRefund(ScenarioAction):
    task, action_name = "refund", "action_request_refund"


class ActionReturnOrExchange(ScenarioAction):
    action_name = "action_return_or_exchange"

    def run(self, dispatcher, tracker, domain):
        task = "exchange" if wants_exchange(latest_text(tracker)) else "return"
        return run_scenario(dispatcher, tracker, task, continuing=False)


class ActionCheckRefundStatus(ScenarioAction):
    task, action_name = "refund_status", "action_check_refund_status"


class ActionChangeAddress(ScenarioAction):
    task, action_name = "address", "action_change_address"


class ActionContactSeller(ScenarioAction):
    task, action_name = "seller", "action_contact_seller"


class ActionFallback(Action):
    """Not understood. An order number in the message still says which order: follow the words."""

    def name(self) -> Text:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if latest_entity(tracker, "order_id") is not None and not is_abusive(latest_text(tracker)):
            return run_scenario(dispatcher, tracker, scenario_from_text(latest_text(tracker)), continuing=True)
        return handoff.not_understood(dispatcher, tracker)


class ActionResumeTask(Action):
    """A detail on its own (order number, phone digits, a button) continues the pending scenario."""

    def name(self) -> Text:
        return "action_resume_task"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        task: Optional[str] = tracker.get_slot("task")
        if task not in SCENARIOS:
            if latest_entity(tracker, "order_id") is None and tracker.get_slot("verified_order") is None \
                    and latest_entity(tracker, "phone_last4") is None:
                return handoff.not_understood(dispatcher, tracker) + [SlotSet("address_step", None)]
            task = scenario_from_text(latest_text(tracker))
        return run_scenario(dispatcher, tracker, task, continuing=True)
