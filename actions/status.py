"""Order status: the state, and for a shipment the carrier, tracking number and latest event."""
from __future__ import annotations

from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.scenario import ScenarioAction
from actions.wording import order_vars
from bot.shop.models import Order, Status

_OWN_RESPONSE = {Status.PAID, Status.PREPARING, Status.SHIPPED, Status.DELIVERED, Status.CONFIRMED}


def order_status(dispatcher: CollectingDispatcher, tracker: Tracker, session: Session, order: Order) -> List[EventType]:
    status = Status(order.status)
    values = order_vars(order)
    if status is Status.SHIPPED and "event_time" not in values:
        values.update(event_time="방금", event_location="택배사", event_description="집하")
    response = f"utter_status_{status.value}" if status in _OWN_RESPONSE else "utter_status_other"
    dispatcher.utter_message(response=response, **values)
    return []


class ActionCheckOrderStatus(ScenarioAction):
    action_name, scenario_name, scenario = "action_check_order_status", "status", staticmethod(order_status)
