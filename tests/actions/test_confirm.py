"""「네」 and 「아니요」 (actions.confirm): a proposed change is carried out or dropped, nothing else."""
from __future__ import annotations

from actions.cancel import ActionCancelOrder
from actions.confirm import ActionConfirmChange, ActionDeclineChange
from tests.actions.chat import Chat, responses


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
