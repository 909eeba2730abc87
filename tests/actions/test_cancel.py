"""Cancelling (actions.cancel): the reply, and exactly the rows it changes once confirmed."""
from __future__ import annotations

from actions.cancel import ActionCancelOrder
from actions.confirm import ActionConfirmChange
from tests.fixtures import diff
from tests.actions.chat import Chat, changed_tables, handoff_of, responses


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
