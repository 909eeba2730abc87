"""The pending-question policy (bot.nlp.pending_question): when a typed message answers the bot's question."""
from __future__ import annotations

from datetime import date

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.db import ROOT
from bot.nlp.pending_question import ANSWER_ACTION, next_action

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
CHOICES = [
    {"order_id": "20261124000318", "title": "무선 이어폰", "names": ["무선 이어폰"], "status": "SHIPPED",
     "ordered": "2026-11-24"},
    {"order_id": "20261127000041", "title": "극세사 이불", "names": ["극세사 이불"], "status": "PREPARING",
     "ordered": "2026-11-27"},
]


def tracker(text: str, intent: str, *events) -> DialogueStateTracker:
    """A conversation where the bot asked something (`events`), then the customer typed `text`."""
    return DialogueStateTracker.from_events("t", [
        ActionExecuted(ACTION_LISTEN_NAME), UserUttered("처음 말", {"name": "request_refund"}),
        ActionExecuted("action_request_refund"), *events,
        ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, {"name": intent}),
    ], slots=DOMAIN.slots)


@pytest.mark.parametrize(
    "question, text, intent",
    [
        ("return_reason", "색상이 사진이랑 달라요", "check_order_status"),
        ("return_reason", "그냥 마음이 바뀌었어요", "inform"),
        ("return_reason", "단순변심이요", "faq"),
        ("return_reason", "불량이에요 박스가 찌그러져 왔어요", "faq"),
        ("return_reason", "다른 상품이 왔어요", "nlu_fallback"),
        ("order_choice", "두번째요", "nlu_fallback"),
        ("order_choice", "배송중인 거요", "check_order_status"),
        ("order_choice", "이불이요", "inform"),
        ("confirm", "좋아요 진행해 주세요", "affirm"),
        ("confirm", "됐어요", "thank"),
    ],
)
def test_an_answer_goes_to_the_answer_action_whatever_the_intent(question, text, intent):
    asked = [SlotSet("question", question), SlotSet("choices", CHOICES)]
    assert next_action(tracker(text, intent, *asked), today=date(2026, 11, 28)) == ANSWER_ACTION


@pytest.mark.parametrize(
    "question, text, intent",
    [
        ("return_reason", "상담원 연결해 주세요", "request_human"),
        ("return_reason", "반품비 얼마예요?", "faq"),
        ("order_choice", "주문 취소하고 싶어요", "cancel_order"),
        ("confirm", "/affirm", "affirm"),  # the button: its own rule
        (None, "응", "affirm"),  # nothing asked
    ],
)
def test_anything_else_is_left_to_the_rules(question, text, intent):
    asked = [SlotSet("question", question), SlotSet("choices", CHOICES)]
    assert next_action(tracker(text, intent, *asked), today=date(2026, 11, 28)) is None


def test_an_active_form_keeps_the_turn():
    t = tracker("서울시 강남구 테헤란로 123", "inform", SlotSet("question", "confirm"), ActiveLoop("address_form"))
    assert next_action(t) is None


def test_after_the_answer_listen_or_ask_for_the_address():
    answered = tracker("두번째요", "inform", SlotSet("question", "order_choice"))
    answered.update(ActionExecuted(ANSWER_ACTION))
    assert next_action(answered) == ACTION_LISTEN_NAME
    answered.update(SlotSet("address_step", "ask"))
    assert next_action(answered) == "address_form"
