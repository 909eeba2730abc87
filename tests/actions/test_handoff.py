"""Handoffs (actions.handoff): asked for, two fallbacks in a row, abuse, a question for the seller."""
from __future__ import annotations

from actions.handoff import ActionContactSeller, ActionOutOfScope, ActionRequestHuman
from actions.resume import ActionFallback
from actions.status import ActionCheckOrderStatus
from bot.shop.models import Order
from tests.actions.chat import Chat, handoff_of, responses


def test_request_human_pauses_with_context(shop):
    chat = Chat(1)
    messages = chat.say(ActionRequestHuman(), "상담원 연결해 주세요", "request_human")
    handoff = handoff_of(messages)
    assert responses(messages) == ["utter_handoff_agent", "custom"]
    assert (handoff["target"], handoff["reason"], handoff["customer_id"]) == ("agent", "requested", 1)
    assert [(e["event"], e.get("name")) for e in chat.returned] == [("pause", None), ("slot", "question"), ("slot", "choices")]


def test_second_fallback_in_a_row_hands_off(shop):
    chat = Chat(1)
    assert responses(chat.say(ActionFallback(), "그거요", "nlu_fallback")) == ["utter_fallback_first"]
    messages = chat.say(ActionFallback(), "아니 그거", "nlu_fallback")
    assert responses(messages) == ["utter_fallback_handoff", "custom"]
    assert handoff_of(messages)["reason"] == "fallback"


def test_fallbacks_not_in_a_row_do_not_hand_off(shop):
    chat = Chat(1)
    chat.say(ActionFallback(), "그거요", "nlu_fallback")
    chat.say(ActionCheckOrderStatus(), "배송조회", "check_order_status")
    assert responses(chat.say(ActionFallback(), "음", "nlu_fallback")) == ["utter_fallback_first"]


def test_abuse_reaches_a_human(shop):
    messages = Chat(1).say(ActionOutOfScope(), "아 진짜 짜증나네 장난하나", "out_of_scope")
    assert handoff_of(messages)["reason"] == "angry"
    assert responses(Chat(1).say(ActionOutOfScope(), "오늘 날씨 어때", "out_of_scope")) == ["utter_out_of_scope"]


def test_contact_seller_hands_to_the_orders_seller(shop):
    delivered = shop.orders()["delivered_3d"]
    messages = Chat(1).say(ActionContactSeller(), "이거 재입고 언제 돼요?", "contact_seller", order_id=delivered)
    with shop.session() as s:
        seller = s.get(Order, delivered).seller
    assert responses(messages) == ["utter_handoff_seller", "custom"]
    assert messages[0]["seller"] == seller.name and handoff_of(messages)["seller_id"] == seller.id
