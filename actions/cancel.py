"""Cancelling an order: at once when paid, through the seller while preparing, never once shipped."""
from __future__ import annotations

from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.question import CONFIRM, asked
from actions.scenario import ScenarioAction
from actions.wording import order_vars
from bot.shop import policy
from bot.shop.models import Order, Status


def cancel(dispatcher: CollectingDispatcher, tracker: Tracker, session: Session, order: Order) -> List[EventType]:
    decision = policy.cancellation(Status(order.status), order.total_amount)
    values = order_vars(order)
    if decision.outcome == policy.ALLOW:
        dispatcher.utter_message(response="utter_cancel_confirm_now", **values)
        return [SlotSet("pending_change", {"kind": "cancel_now", "order_id": order.id})] + asked(CONFIRM)
    if decision.outcome == policy.SELLER:
        dispatcher.utter_message(response="utter_cancel_confirm_seller", **values)
        return [SlotSet("pending_change", {"kind": "cancel_request", "order_id": order.id})] + asked(CONFIRM)
    dispatcher.utter_message(response=f"utter_cancel_refused_{decision.code}", **values)
    return []


class ActionCancelOrder(ScenarioAction):
    action_name, scenario_name, scenario = "action_cancel_order", "cancel", staticmethod(cancel)
