"""Shared glue for the actions: who is asking, how values are written, handoff payloads.

Identity comes only from the metadata the gateway attaches to each message
(`customer_id` for a logged-in customer, nothing for a guest); never from text.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.clock import to_kst
from bot.shop.models import PAYMENT_LABELS, STATUS_LABELS, Order, Status

# Slots a human should see in a handoff; everything else is internal bookkeeping.
CONTEXT_SLOTS = ("order_id", "task", "return_reason", "pending_change", "new_address", "verified_order")

# Order-related tasks that the resume action can continue.
TASKS = ("status", "cancel", "refund", "return", "exchange", "address", "refund_status", "seller")


@dataclass(frozen=True)
class Who:
    conversation_id: str
    customer_id: Optional[int]

    @property
    def guest(self) -> bool:
        return self.customer_id is None

    @property
    def actor(self) -> str:
        return "guest" if self.guest else f"customer:{self.customer_id}"


def who(tracker: Tracker) -> Who:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    if not metadata:
        metadata = tracker.get_slot("session_started_metadata") or {}
    raw = metadata.get("customer_id")
    try:
        customer_id = int(raw) if raw is not None else None
    except (TypeError, ValueError):
        customer_id = None
    return Who(conversation_id=tracker.sender_id, customer_id=customer_id)


def latest_entity(tracker: Tracker, name: str) -> Optional[str]:
    return next(tracker.get_latest_entity_values(name), None)


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def won(amount: int) -> str:
    return f"{amount:,}"


def day_label(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        moment = to_kst(moment).date()
    return f"{moment.month}월 {moment.day}일"


def time_label(moment: datetime) -> str:
    local = to_kst(moment)
    return f"{local.month}월 {local.day}일 {local:%H:%M}"


def order_vars(order: Order) -> Dict[str, Any]:
    """Template values describing an order, for the utter_* responses."""
    values: Dict[str, Any] = {
        "order_id": order.id,
        "title": order.title,
        "amount": won(order.total_amount),
        "payment": PAYMENT_LABELS.get(order.payment_method, order.payment_method),
        "status_label": STATUS_LABELS[Status(order.status)],
        "ordered_date": day_label(order.ordered_at),
        "delivered_date": day_label(order.delivered_at) if order.delivered_at else "",
        "seller": order.seller.name,
    }
    shipment = order.shipment
    if shipment is not None:
        values.update(carrier=shipment.carrier, carrier_phone=shipment.carrier_phone,
                      tracking_number=shipment.tracking_number)
        if shipment.events:
            last = shipment.events[-1]
            values.update(event_time=time_label(last.occurred_at), event_location=last.location,
                          event_description=last.description)
    return values


def order_button(order: Order) -> Dict[str, str]:
    """「11/24 무선 이어폰 외 1건 (배송중)」 choosing this order."""
    ordered = to_kst(order.ordered_at)
    label = STATUS_LABELS[Status(order.status)]
    return {
        "title": f"{ordered.month}/{ordered.day} {order.title} ({label})",
        "payload": '/inform{"order_id": "%s"}' % order.id,
    }


def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    *,
    target: str,
    reason: str,
    kind: str = "general",
    order: Optional[Order] = None,
    claim_id: Optional[int] = None,
) -> List[EventType]:
    """The handoff hook: a custom payload the gateway turns into a ticket.

    Agent handoffs pause the Rasa conversation until the agent hands it back;
    seller tickets are asynchronous, so the bot keeps serving meanwhile.
    """
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    ranking = latest.get("intent_ranking") or []
    # Behind a fallback, the best real guess is more useful to a human than "nlu_fallback".
    guess = next((r for r in ranking if r.get("name") != "nlu_fallback"), intent)
    slots = {name: tracker.get_slot(name) for name in CONTEXT_SLOTS if tracker.get_slot(name) is not None}
    payload = {
        "handoff": {
            "target": target,
            "reason": reason,
            "kind": kind,
            "order_id": order.id if order else None,
            "seller_id": order.seller_id if order else None,
            "claim_id": claim_id,
            "customer_id": who(tracker).customer_id,
            "intent": {"name": guess.get("name"), "confidence": guess.get("confidence")},
            "slots": slots,
        }
    }
    dispatcher.utter_message(json_message=payload)
    return [ConversationPaused()] if target == "agent" else []
