"""Continuing a scenario (actions.resume): an order number with words NLU did not place."""
from __future__ import annotations

from actions.resume import ActionFallback, ActionResumeScenario
from tests.actions.chat import Chat, responses


def test_an_order_number_with_words_but_filed_as_inform_still_does_what_the_words_say(shop):
    paid = shop.orders()["paid_today"]
    messages = Chat(1).say(ActionResumeScenario(), f"{paid} 이거 취소요", "inform", order_id=paid)
    assert responses(messages) == ["utter_cancel_confirm_now"]


def test_a_fallback_with_an_order_number_follows_the_words(shop):
    delivered = shop.orders()["delivered_3d"]
    messages = Chat(1).say(ActionFallback(), f"반품할게여 {delivered}이요", "nlu_fallback", order_id=delivered)
    assert responses(messages) == ["utter_ask_return_reason"]
