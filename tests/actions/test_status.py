"""Order status (actions.status): the state, the carrier and the latest tracking event."""
from __future__ import annotations

from actions.resume import ActionResumeScenario
from actions.status import ActionCheckOrderStatus
from bot.shop.models import Order
from tests.actions.chat import Chat, responses


def test_status_with_several_open_orders_offers_buttons(shop):
    chat = Chat(1)
    messages = chat.say(ActionCheckOrderStatus(), "택배 언제와요", "check_order_status")
    assert responses(messages) == ["utter_choose_order"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert len(payloads) >= 2 and all(p.startswith('/inform{"order_id"') for p in payloads)
    shipped = shop.orders()["shipped_out_for_delivery"]
    assert any(shipped in p for p in payloads)
    answer = chat.say(ActionResumeScenario(), "", "inform", order_id=shipped)
    assert responses(answer) == ["utter_status_SHIPPED"]
    with shop.session() as s:
        order = s.get(Order, shipped)
        assert answer[0]["tracking_number"] == order.shipment.tracking_number
        assert answer[0]["event_location"] == order.shipment.events[-1].location
