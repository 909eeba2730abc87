"""Typed answers to the bot's questions (actions.answer): the same outcome as the button."""
from __future__ import annotations

from actions.address import ActionChangeAddress
from actions.answer import ActionAnswerQuestion
from actions.cancel import ActionCancelOrder
from actions.claims import ActionRequestRefund, ActionReturnOrExchange
from actions.status import ActionCheckOrderStatus
from bot.shop.models import Order
from tests.actions.chat import Chat, changed_tables, handoff_of, responses
from tests.fixtures import diff

ANSWER = ActionAnswerQuestion()


def test_a_question_is_recorded_with_what_it_offers(shop):
    chat = Chat(1)
    messages = chat.say(ActionCheckOrderStatus(), "택배 언제 와요", "check_order_status")
    assert responses(messages) == ["utter_choose_order"]
    assert chat.slots["question"] == "order_choice"
    assert [c["order_id"] for c in chat.slots["choices"]] == [b["payload"][21:35] for b in messages[0]["buttons"]]
    assert all(c["names"] and c["status"] and c["ordered"] for c in chat.slots["choices"])


def test_typed_reason_continues_the_return_and_yes_files_it(shop):
    delivered = shop.orders()["delivered_7d"]
    chat = Chat(1)
    assert responses(chat.say(ActionRequestRefund(), "환불해주세요", "request_refund", order_id=delivered)) == \
        ["utter_ask_return_reason"]
    assert chat.slots["question"] == "return_reason"
    # NLU filed it under the FAQ; the pending question reads it as the reason.
    messages = chat.say(ANSWER, "불량이에요 박스가 찌그러져 왔어요", "faq")
    assert responses(messages) == ["utter_return_confirm_free"] and messages[0]["reason_label"] == "상품 불량·파손"
    assert (chat.slots["return_reason"], chat.slots["question"]) == ("defect", "confirm")
    before = shop.snapshot()
    assert responses(chat.say(ANSWER, "응", "affirm")) == ["utter_return_done"]
    claim = diff(before, shop.snapshot())["claims"]["added"][0]
    with shop.session() as s:
        total = s.get(Order, delivered).total_amount
    assert (claim["kind"], claim["reason"], claim["fee"], claim["refund_amount"]) == ("return", "defect", 0, total)
    assert chat.slots["question"] is None and chat.slots["pending_change"] is None


def test_typed_change_of_mind_has_the_fee(shop):
    delivered = shop.orders()["delivered_3d"]
    chat = Chat(1)
    chat.say(ActionReturnOrExchange(), "반품하고 싶어요", "return_or_exchange", order_id=delivered)
    messages = chat.say(ANSWER, "색상이 사진이랑 달라요", "check_order_status")
    assert responses(messages) == ["utter_return_confirm_fee"]
    assert chat.slots["pending_change"]["reason"] == "change_of_mind"


def test_typed_ordinal_picks_the_order_for_the_pending_scenario(shop):
    chat = Chat(1)
    buttons = chat.say(ActionCheckOrderStatus(), "택배 언제 와요", "check_order_status")[0]["buttons"]
    second = chat.slots["choices"][1]
    messages = chat.say(ANSWER, "두번째요", "nlu_fallback")
    assert messages[0]["order_id"] == second["order_id"] and second["order_id"] in buttons[1]["payload"]
    assert responses(messages) == [f"utter_status_{second['status']}"]
    assert chat.slots["question"] is None


def test_typed_product_name_picks_the_order_and_words_can_name_another_scenario(shop):
    paid = shop.orders()["paid_today"]
    chat = Chat(1)
    chat.say(ActionCheckOrderStatus(), "택배 언제 와요", "check_order_status")
    choice = next(c for c in chat.slots["choices"] if c["order_id"] == paid)
    messages = chat.say(ANSWER, f"{choice['names'][0]} 주문 취소해 주세요", "cancel_order")
    assert responses(messages) == ["utter_cancel_confirm_now"] and messages[0]["order_id"] == paid
    assert (chat.slots["pending_change"], chat.slots["question"]) == \
        ({"kind": "cancel_now", "order_id": paid}, "confirm")


def test_typed_no_drops_the_change_and_changes_nothing(shop):
    paid = shop.orders()["paid_today"]
    chat = Chat(1)
    assert responses(chat.say(ActionCancelOrder(), "취소요", "cancel_order", order_id=paid)) == \
        ["utter_cancel_confirm_now"]
    before = shop.snapshot()
    assert responses(chat.say(ANSWER, "됐어요", "thank")) == ["utter_change_declined"]
    assert shop.snapshot() == before and chat.slots["pending_change"] is None


def test_typed_yes_to_a_seller_cancel_opens_the_request(shop):
    preparing = shop.orders()["preparing_yesterday"]
    chat = Chat(1)
    chat.say(ActionCancelOrder(), "취소요", "cancel_order", order_id=preparing)
    before = shop.snapshot()
    messages = chat.say(ANSWER, "좋아요 진행해 주세요", "affirm")
    assert responses(messages) == ["utter_cancel_requested", "custom"]
    assert handoff_of(messages)["kind"] == "cancel_request"
    assert changed_tables(before, shop.snapshot()) == {"orders": (0, 1), "claims": (1, 0), "audit_log": (1, 0)}


def test_an_order_chosen_for_an_address_change_asks_for_the_address(shop):
    chat = Chat(1)
    assert responses(chat.say(ActionChangeAddress(), "배송지 바꿀래요", "change_shipping_address")) == \
        ["utter_choose_order"]
    paid = next(c for c in chat.slots["choices"] if c["status"] == "PAID")
    assert responses(chat.say(ANSWER, "결제완료된 거요", "inform")) == []
    assert (chat.slots["order_id"], chat.slots["address_step"]) == (paid["order_id"], "ask")


def test_not_an_answer_is_not_understood(shop):
    chat = Chat(1)
    chat.say(ActionCancelOrder(), "취소요", "cancel_order", order_id=shop.orders()["paid_today"])
    assert responses(chat.say(ANSWER, "그거 말고 저번에 그거요", "nlu_fallback")) == ["utter_fallback_first"]


def test_a_request_that_names_the_order_needs_no_choice(shop):
    preparing = shop.orders()["preparing_yesterday"]
    chat = Chat(1)
    messages = chat.say(ActionCancelOrder(), "어제 주문한 거 취소요", "cancel_order")
    assert responses(messages) == ["utter_cancel_confirm_seller"] and messages[0]["order_id"] == preparing
    assert chat.slots["question"] == "confirm"
