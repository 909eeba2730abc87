"""Changing the delivery address: at once when paid, through the seller while preparing."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.identity import who
from actions.question import CONFIRM, asked
from actions.scenario import ScenarioAction
from actions.wording import order_vars
from bot.db import session_scope
from bot.nlp import keywords
from bot.shop import policy, repo
from bot.shop.models import Order, Status

MAX_ADDRESS_ATTEMPTS = 3
_GIVE_UP_INTENTS = {"deny", "request_human", "goodbye"}


def change_address(dispatcher: CollectingDispatcher, tracker: Tracker, session: Session, order: Order) -> List[EventType]:
    """Ask for the new address (the address form) only when the change can go ahead."""
    decision = policy.address_change(Status(order.status))
    if decision.outcome in (policy.ALLOW, policy.SELLER):
        return [SlotSet("address_step", "ask"), SlotSet("address_attempts", 0), SlotSet("new_address", None)]
    dispatcher.utter_message(response=f"utter_address_refused_{decision.code}", **order_vars(order))
    return []


class ActionChangeAddress(ScenarioAction):
    action_name, scenario_name, scenario = "action_change_address", "address", staticmethod(change_address)


class ValidateAddressForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_address_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[Text]:
        return [] if tracker.get_slot("address_step") == "aborted" else domain_slots

    def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is None:  # the scenario's reset of the slot, validated when the form starts: nothing typed yet
            return {"new_address": None}
        text = keywords.address_from_text(str(value))
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent in _GIVE_UP_INTENTS or keywords.is_giving_up(text):
            return {"new_address": None, "address_step": "aborted"}
        if keywords.is_valid_address(text):
            return {"new_address": text}
        attempts = int(tracker.get_slot("address_attempts") or 0) + 1
        if attempts >= MAX_ADDRESS_ATTEMPTS:
            return {"new_address": None, "address_step": "aborted", "address_attempts": 0}
        dispatcher.utter_message(response="utter_address_invalid")
        return {"new_address": None, "address_attempts": attempts}


class ActionSubmitAddress(Action):
    """The form is done: confirm the new address back before anything changes."""

    def name(self) -> Text:
        return "action_submit_address"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        reset = [SlotSet("address_step", None), SlotSet("address_attempts", 0)]
        address = tracker.get_slot("new_address")
        order_id = tracker.get_slot("order_id")
        if tracker.get_slot("address_step") == "aborted" or not address or not order_id:
            dispatcher.utter_message(response="utter_address_aborted")
            return reset + [SlotSet("new_address", None), SlotSet("scenario", None)]
        person = who(tracker)
        with session_scope() as session:
            order = (repo.order_for_customer(session, order_id, person.customer_id) if not person.guest
                     else repo.get_order(session, order_id) if tracker.get_slot("verified_order") == order_id
                     else None)
            if order is None:
                dispatcher.utter_message(response="utter_address_aborted")
                return reset
            decision = policy.address_change(Status(order.status))
            values = dict(order_vars(order), address=address)
            if decision.outcome == policy.ALLOW:
                dispatcher.utter_message(response="utter_address_confirm_now", **values)
                kind = "address_now"
            elif decision.outcome == policy.SELLER:
                dispatcher.utter_message(response="utter_address_confirm_seller", **values)
                kind = "address_request"
            else:
                dispatcher.utter_message(response=f"utter_address_refused_{decision.code}", **values)
                return reset
        return reset + [SlotSet("pending_change", {"kind": kind, "order_id": order_id, "address": address})] \
            + asked(CONFIRM)
