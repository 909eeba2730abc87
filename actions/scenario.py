"""What every scenario action shares: find the order the customer means, then run the scenario on it.

A scenario is a function `(dispatcher, tracker, session, order) -> events` that runs once
the order is known (see actions.lookup). Each scenario lives in its own module with its
action: status, cancel, claims (refund, return, exchange, refund status), address, and
handoff (a question for the seller). actions.resume continues a pending scenario by name.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.lookup import find_order
from actions.question import answered
from bot.db import session_scope
from bot.shop.models import Order

Scenario = Callable[[CollectingDispatcher, Tracker, Session, Order], List[EventType]]


def run_scenario(
    dispatcher: CollectingDispatcher, tracker: Tracker, name: str, scenario: Scenario, continuing: bool
) -> List[EventType]:
    """Find the order for scenario `name` (or ask what is missing), then run `scenario` on it."""
    with session_scope() as session:
        found = find_order(dispatcher, tracker, session, name, continuing)
        events = answered() + found.events
        if found.order is not None:
            events = events + scenario(dispatcher, tracker, session, found.order)
    if not any(e.get("event") == "slot" and e.get("name") == "address_step" for e in events):
        events.append(SlotSet("address_step", None))  # the rules branch on it: always say
    return events


class ScenarioAction(Action):
    """The action of one scenario intent: its name in the domain, the scenario's name and function."""

    action_name = ""
    scenario_name = ""
    scenario: Scenario  # each subclass sets it with staticmethod(<the scenario function>)

    def name(self) -> Text:
        return self.action_name

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return run_scenario(dispatcher, tracker, self.scenario_name, self.scenario, continuing=False)
