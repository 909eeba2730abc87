"""「네」 and 「아니요」 (actions.confirm): a proposed change is carried out or dropped, nothing else."""
from __future__ import annotations

from actions.cancel import ActionCancelOrder
from actions.confirm import ActionConfirmChange, ActionDeclineChange
from tests.actions.chat import Chat, responses
from tests.fixtures import diff


def test_no_changes_the_mind(shop):
    paid = shop.orders()["paid_today"]
    chat = Chat(1)
    before = shop.snapshot()
    chat.say(ActionCancelOrder(), f"{paid} 취소", "cancel_order", order_id=paid)
    assert responses(chat.say(ActionDeclineChange(), "아니요", "deny")) == ["utter_change_declined"]
    assert responses(chat.say(ActionConfirmChange(), "네", "affirm")) == ["utter_nothing_pending"]
    assert shop.snapshot() == before


def test_a_vague_yes_with_nothing_to_confirm_counts_as_not_understood(shop):
    from actions.confirm import ActionConfirmChange, ActionDeclineChange

    chat = Chat(2)
    assert responses(chat.say(ActionConfirmChange(), "그거 말고 저번에 그거요", "affirm")) == ["utter_fallback_first"]
    messages = chat.say(ActionDeclineChange(), "아니 그러니까 그거 그거", "deny")
    assert responses(messages) == ["utter_fallback_handoff", "custom"]


def test_words_nlu_reads_as_yes_but_are_no_plain_yes_change_nothing(shop):
    """「그거 말고 저번에 그거요」 ("not that one, the one from before") after 「취소할까요?」: NLU calls it
    affirm, but it is no yes. Nothing is cancelled, the customer is told so, and a plain 「네」 after
    it still confirms."""
    paid = shop.orders()["paid_today"]
    chat = Chat(1)
    chat.say(ActionCancelOrder(), f"{paid} 취소해 주세요", "cancel_order", order_id=paid)
    before = shop.snapshot()
    assert responses(chat.say(ActionConfirmChange(), "그거 말고 저번에 그거요", "affirm")) == ["utter_fallback_first"]
    assert shop.snapshot() == before
    assert chat.slots["pending_change"]["order_id"] == paid and chat.slots["question"] == "confirm"
    assert responses(chat.say(ActionConfirmChange(), "네", "affirm")) == ["utter_cancel_done"]
    [(key, cols)] = diff(before, shop.snapshot())["orders"]["changed"].items()
    assert key == (paid,) and cols["status"] == ("PAID", "CANCELLED")

