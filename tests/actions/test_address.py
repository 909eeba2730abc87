"""The address form's validation: a real address, a way out, and a limit on retries."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.address import ValidateAddressForm


def validate(text: str, intent: str = "inform", attempts: int = 0):
    tracker = Tracker("c", {"address_attempts": attempts}, {"text": text, "intent": {"name": intent}}, [], False,
                      None, {"name": "address_form"}, "action_listen")
    dispatcher = CollectingDispatcher()
    return ValidateAddressForm().validate_new_address(text, dispatcher, tracker, {}), dispatcher.messages


def test_a_road_address_is_taken():
    assert validate("경기도 성남시 분당구 판교역로 235 101동 1203호")[0] == \
        {"new_address": "경기도 성남시 분당구 판교역로 235 101동 1203호"}


def test_not_an_address_is_asked_again_and_given_up_after_three():
    slots, messages = validate("몰라요")
    assert slots == {"new_address": None, "address_attempts": 1}
    assert messages[0]["response"] == "utter_address_invalid"
    assert validate("몰라요", attempts=2)[0]["address_step"] == "aborted"


def test_the_customer_can_give_up():
    assert validate("취소")[0]["address_step"] == "aborted"
    assert validate("아니요 안 바꿀래요", intent="deny")[0]["address_step"] == "aborted"
