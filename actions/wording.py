"""How values are written in the replies: amounts, dates, and the template values of an order."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Dict

from bot.clock import to_kst
from bot.shop.models import PAYMENT_LABELS, STATUS_LABELS, Order, Status


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


def order_choice(order: Order) -> Dict[str, Any]:
    """What a typed order choice is matched against (bot.nlp.keywords.chosen_order)."""
    return {
        "order_id": order.id,
        "title": order.title,
        "names": [item.product_name for item in order.items],
        "status": order.status,
        "ordered": to_kst(order.ordered_at).date().isoformat(),
    }


def order_button(order: Order) -> Dict[str, str]:
    """「11/24 무선 이어폰 외 1건 (배송중)」 choosing this order."""
    ordered = to_kst(order.ordered_at)
    label = STATUS_LABELS[Status(order.status)]
    return {
        "title": f"{ordered.month}/{ordered.day} {order.title} ({label})",
        "payload": '/inform{"order_id": "%s"}' % order.id,
    }
