"""Refunds, returns, exchanges and refund status (actions.claims): the reply, and exactly the rows changed."""
from __future__ import annotations

from actions.claims import ActionCheckRefundStatus, ActionRequestRefund, ActionReturnOrExchange
from actions.confirm import ActionConfirmChange
from actions.resume import ActionResumeScenario
from tests.fixtures import diff
from bot.shop.models import Order
from tests.actions.chat import Chat, changed_tables, handoff_of, responses


def test_refund_within_window_change_of_mind_has_the_fee(shop):
    delivered = shop.orders()["delivered_3d"]
    chat = Chat(1)
    messages = chat.say(ActionRequestRefund(), "사이즈가 안 맞아서 환불하고 싶어요", "request_refund", order_id=delivered)
    assert responses(messages) == ["utter_return_confirm_fee"]
    with shop.session() as s:
        order = s.get(Order, delivered)
        fee, total = order.seller.return_shipping_fee, order.total_amount
    assert messages[0]["days"] == 3 and messages[0]["fee"] == f"{fee:,}"
    before = shop.snapshot()
    assert responses(chat.say(ActionConfirmChange(), "신청", "affirm")) == ["utter_return_done"]
    changes = diff(before, shop.snapshot())
    claim = changes["claims"]["added"][0]
    assert (claim["kind"], claim["reason"], claim["fee"], claim["refund_amount"]) == \
        ("return", "change_of_mind", fee, total - fee)
    assert changed_tables(before, shop.snapshot()) == {"orders": (0, 1), "claims": (1, 0), "audit_log": (1, 0)}


def test_refund_asks_the_reason_then_defect_is_free(shop):
    delivered = shop.orders()["delivered_7d"]
    chat = Chat(1)
    assert responses(chat.say(ActionRequestRefund(), "환불해주세요", "request_refund", order_id=delivered)) == \
        ["utter_ask_return_reason"]
    messages = chat.say(ActionResumeScenario(), "상품 불량·파손", "inform", return_reason="defect")
    assert responses(messages) == ["utter_return_confirm_free"] and messages[0]["days"] == 7


def test_day_eight_change_of_mind_is_declined_and_late_defect_goes_to_an_agent(shop):
    orders = shop.orders()
    before = shop.snapshot()
    refused = Chat(1).say(ActionRequestRefund(), "단순변심이에요 환불요", "request_refund", order_id=orders["delivered_8d"])
    assert responses(refused) == ["utter_return_refused_window_passed"] and refused[0]["days"] == 8
    chat = Chat(1)
    messages = chat.say(ActionRequestRefund(), "고장났어요 환불해주세요", "request_refund", order_id=orders["delivered_40d"])
    assert responses(messages) == ["utter_return_late_defect", "custom"]
    handoff = handoff_of(messages)
    assert (handoff["target"], handoff["reason"], handoff["customer_id"]) == ("agent", "late_defect", 1)
    assert handoff["intent"] == {"name": "request_refund", "confidence": 0.97}
    assert any(e.get("event") == "pause" for e in chat.returned)
    assert shop.snapshot() == before


def test_confirmed_order_goes_to_an_agent(shop):
    messages = Chat(1).say(ActionRequestRefund(), "환불해주세요 불량이에요", "request_refund",
                           order_id=shop.orders()["confirmed"])
    assert responses(messages) == ["utter_return_confirmed_order", "custom"]


def test_exchange_goes_to_the_seller(shop):
    delivered = shop.orders()["delivered_3d"]
    chat = Chat(1)
    assert responses(chat.say(ActionReturnOrExchange(), "사이즈 교환하고 싶어요 M으로요", "return_or_exchange",
                              order_id=delivered)) == ["utter_exchange_confirm"]
    messages = chat.say(ActionConfirmChange(), "네", "affirm")
    assert responses(messages) == ["utter_exchange_requested", "custom"]
    with shop.session() as s:
        assert s.get(Order, delivered).status == "EXCHANGE_REQUESTED"
    assert handoff_of(messages)["kind"] == "exchange"


def test_refund_status_says_state_amount_and_date(shop):
    refunded = shop.orders()["refunded"]
    messages = Chat(1).say(ActionCheckRefundStatus(), "환불 언제 들어와요", "check_refund_status", order_id=refunded)
    assert responses(messages) == ["utter_refund_status"]
    assert messages[0]["claim_status_label"] == "환불 완료" and "완료" in messages[0]["when"]
    returned = shop.orders()["return_requested"]
    messages = Chat(1).say(ActionCheckRefundStatus(), "환불 언제", "check_refund_status", order_id=returned)
    assert messages[0]["claim_status_label"] == "접수" and "회수" in messages[0]["when"]
