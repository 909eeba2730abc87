"""Each scenario action against a real seeded database: the reply, and exactly the rows it changes."""
from __future__ import annotations

from sqlalchemy import select

from actions.address import ActionSubmitAddress
from actions.confirm import ActionConfirmChange, ActionDeclineChange
from actions.tasks import (ActionCancelOrder, ActionChangeAddress, ActionCheckOrderStatus,
                           ActionCheckRefundStatus, ActionContactSeller, ActionRequestRefund,
                           ActionResumeTask, ActionReturnOrExchange)
from bot.shop.models import Order, Status
from tests.actions.chat import Chat, handoff_of, responses
from tests.fixtures import diff, find_orders


def changed_tables(before, after):
    return {name: (len(c["added"]), len(c["changed"])) for name, c in diff(before, after).items()}


def test_status_with_several_open_orders_offers_buttons(shop):
    chat = Chat(1)
    messages = chat.say(ActionCheckOrderStatus(), "택배 언제와요", "check_order_status")
    assert responses(messages) == ["utter_choose_order"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert len(payloads) >= 2 and all(p.startswith('/inform{"order_id"') for p in payloads)
    shipped = shop.orders()["shipped_out_for_delivery"]
    assert any(shipped in p for p in payloads)
    answer = chat.say(ActionResumeTask(), "", "inform", order_id=shipped)
    assert responses(answer) == ["utter_status_SHIPPED"]
    with shop.session() as s:
        order = s.get(Order, shipped)
        assert answer[0]["tracking_number"] == order.shipment.tracking_number
        assert answer[0]["event_location"] == order.shipment.events[-1].location


def test_cancel_paid_changes_only_that_order_after_yes(shop):
    paid = shop.orders()["paid_today"]
    chat = Chat(1)
    before = shop.snapshot()
    assert responses(chat.say(ActionCancelOrder(), f"{paid} 취소해주세요", "cancel_order", order_id=paid)) == \
        ["utter_cancel_confirm_now"]
    assert shop.snapshot() == before, "nothing is written before the customer confirms"
    assert responses(chat.say(ActionConfirmChange(), "네", "affirm")) == ["utter_cancel_done"]
    after = shop.snapshot()
    assert changed_tables(before, after) == {"orders": (0, 1), "claims": (1, 0), "audit_log": (1, 0)}
    [(key, cols)] = diff(before, after)["orders"]["changed"].items()
    assert key == (paid,) and cols["status"] == ("PAID", "CANCELLED")
    audit = diff(before, after)["audit_log"]["added"][0]
    assert (audit["actor"], audit["conversation_id"]) == ("customer:1", "conv-test")


def test_no_changes_the_mind(shop):
    paid = shop.orders()["paid_today"]
    chat = Chat(1)
    before = shop.snapshot()
    chat.say(ActionCancelOrder(), f"{paid} 취소", "cancel_order", order_id=paid)
    assert responses(chat.say(ActionDeclineChange(), "아니요", "deny")) == ["utter_change_declined"]
    assert responses(chat.say(ActionConfirmChange(), "네", "affirm")) == ["utter_nothing_pending"]
    assert shop.snapshot() == before


def test_cancel_preparing_becomes_a_seller_request(shop):
    preparing = shop.orders()["preparing_yesterday"]
    chat = Chat(1)
    chat.say(ActionCancelOrder(), "취소요", "cancel_order", order_id=preparing)
    before = shop.snapshot()
    messages = chat.say(ActionConfirmChange(), "요청할게요", "affirm")
    assert responses(messages) == ["utter_cancel_requested", "custom"]
    handoff = handoff_of(messages)
    assert (handoff["target"], handoff["kind"], handoff["order_id"]) == ("seller", "cancel_request", preparing)
    assert handoff["claim_id"] is not None
    assert not any(e.get("event") == "pause" for e in chat.returned), "seller tickets keep the bot serving"
    assert changed_tables(before, shop.snapshot()) == {"orders": (0, 1), "claims": (1, 0), "audit_log": (1, 0)}


def test_shipped_cannot_be_cancelled(shop):
    shipped = shop.orders()["shipped_picked_up"]
    before = shop.snapshot()
    messages = Chat(1).say(ActionCancelOrder(), "취소", "cancel_order", order_id=shipped)
    assert responses(messages) == ["utter_cancel_refused_shipped"]
    assert shop.snapshot() == before


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
    messages = chat.say(ActionResumeTask(), "상품 불량·파손", "inform", return_reason="defect")
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


def test_address_change_paid_through_the_form(shop):
    paid = shop.orders()["paid_today"]
    chat = Chat(1)
    chat.say(ActionChangeAddress(), "배송지 바꿀래요", "change_shipping_address", order_id=paid)
    assert chat.slots["address_step"] == "ask"
    chat.user("서울시 마포구 월드컵로 12 3층", "inform")
    chat.slots["new_address"] = "서울시 마포구 월드컵로 12 3층"
    assert responses(chat.run(ActionSubmitAddress())) == ["utter_address_confirm_now"]
    before = shop.snapshot()
    assert responses(chat.say(ActionConfirmChange(), "네", "affirm")) == ["utter_address_done"]
    changes = diff(before, shop.snapshot())
    [(key, cols)] = changes["orders"]["changed"].items()
    assert cols["shipping_address"][1] == "서울시 마포구 월드컵로 12 3층"
    assert changes["audit_log"]["added"][0]["after"] == {"shipping_address": "서울시 마포구 월드컵로 12 3층"}


def test_address_change_refused_once_shipped(shop):
    shipped = shop.orders()["shipped_picked_up"]
    chat = Chat(1)
    messages = chat.say(ActionChangeAddress(), "주소 바꿔주세요", "change_shipping_address", order_id=shipped)
    assert responses(messages) == ["utter_address_refused_shipped"]
    assert messages[0]["carrier_phone"]
    assert chat.slots["address_step"] is None


def test_contact_seller_hands_to_the_orders_seller(shop):
    delivered = shop.orders()["delivered_3d"]
    messages = Chat(1).say(ActionContactSeller(), "이거 재입고 언제 돼요?", "contact_seller", order_id=delivered)
    with shop.session() as s:
        seller = s.get(Order, delivered).seller
    assert responses(messages) == ["utter_handoff_seller", "custom"]
    assert messages[0]["seller"] == seller.name and handoff_of(messages)["seller_id"] == seller.id


def test_another_customers_order_is_not_found_and_nothing_changes(shop):
    with shop.session() as s:
        other = next(o for o in find_orders(s, status=Status.PAID, guest=False) if o.customer_id != 1)
        other_id, other_name = other.id, other.orderer_name
    before = shop.snapshot()
    chat = Chat(1)
    messages = chat.say(ActionCancelOrder(), f"{other_id} 취소", "cancel_order", order_id=other_id)
    assert responses(messages) == ["utter_order_not_found"]
    assert other_name not in str(messages)
    assert responses(chat.say(ActionConfirmChange(), "네", "affirm")) == ["utter_nothing_pending"]
    assert shop.snapshot() == before


def test_an_order_number_with_words_but_filed_as_inform_still_does_what_the_words_say(shop):
    from actions.tasks import task_from_text

    assert [task_from_text(t) for t in ["반품할게여", "취소요", "환불 언제 들어와요", "교환이요", "이거요"]] == \
        ["return", "cancel", "refund_status", "exchange", "status"]
    paid = shop.orders()["paid_today"]
    messages = Chat(1).say(ActionResumeTask(), f"{paid} 이거 취소요", "inform", order_id=paid)
    assert responses(messages) == ["utter_cancel_confirm_now"]
