"""Handoffs: asked for, two fallbacks in a row, abuse."""
from __future__ import annotations

from actions.handoff import ActionOutOfScope, ActionRequestHuman
from actions.tasks import ActionFallback
from actions.tasks import ActionCheckOrderStatus
from bot.nlp.abuse import is_abusive
from tests.actions.chat import Chat, handoff_of, responses


def test_request_human_pauses_with_context(shop):
    chat = Chat(1)
    messages = chat.say(ActionRequestHuman(), "상담원 연결해 주세요", "request_human")
    handoff = handoff_of(messages)
    assert responses(messages) == ["utter_handoff_agent", "custom"]
    assert (handoff["target"], handoff["reason"], handoff["customer_id"]) == ("agent", "requested", 1)
    assert [e["event"] for e in chat.returned] == ["pause"]


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


def test_is_abusive():
    assert is_abusive("ㅅㅂ 언제 와") and is_abusive("소비자보호원에 신고할게요")
    assert not is_abusive("고소한 맛 과자 재입고 되나요") and not is_abusive("주문 취소해 주세요")


def test_plain_answers_versus_sentences_not_followed():
    from actions.handoff import is_plain_answer

    assert all(map(is_plain_answer, ["네", "ㅇㅇ", "아니요 괜찮아요", "네 알겠습니다", "아뇨 안할래요"]))
    assert not any(map(is_plain_answer, ["아니 그러니까 그거 그거", "그거 말고 저번에 그거요"]))


def test_a_vague_yes_with_nothing_to_confirm_counts_as_not_understood(shop):
    from actions.confirm import ActionConfirmChange, ActionDeclineChange

    chat = Chat(2)
    assert responses(chat.say(ActionConfirmChange(), "그거 말고 저번에 그거요", "affirm")) == ["utter_fallback_first"]
    messages = chat.say(ActionDeclineChange(), "아니 그러니까 그거 그거", "deny")
    assert responses(messages) == ["utter_fallback_handoff", "custom"]


def test_a_fallback_with_an_order_number_follows_the_words(shop):
    delivered = shop.orders()["delivered_3d"]
    messages = Chat(1).say(ActionFallback(), f"반품할게여 {delivered}이요", "nlu_fallback", order_id=delivered)
    assert responses(messages) == ["utter_ask_return_reason"]
