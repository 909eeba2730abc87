"""Identity: logged-in customers see their own orders; guests prove an order with phone digits."""
from __future__ import annotations

from rasa_sdk import Tracker

from actions.cancel import ActionCancelOrder
from actions.confirm import ActionConfirmChange
from actions.lookup import client_key
from actions.resume import ActionResumeScenario
from actions.status import ActionCheckOrderStatus
from bot.shop import repo
from bot.shop.models import Status
from tests.actions.chat import Chat, responses
from tests.fixtures import find_orders


def guest_order(shop, status=Status.SHIPPED):
    with shop.session() as s:
        order = find_orders(s, guest=True, status=status)[0]
        return order.id, order.orderer_phone[-4:]


def wrong(digits: str) -> str:
    return "0000" if digits != "0000" else "1111"


def test_guest_is_asked_for_the_number_then_the_digits(shop):
    order_id, digits = guest_order(shop)
    chat = Chat(None)
    assert responses(chat.say(ActionCheckOrderStatus(), "배송조회요", "check_order_status")) == ["utter_ask_order_id"]
    assert responses(chat.say(ActionResumeScenario(), f"{order_id}이요", "inform", order_id=order_id)) == \
        ["utter_ask_phone_last4"]
    assert responses(chat.say(ActionResumeScenario(), digits, "inform", phone_last4=digits)) == ["utter_status_SHIPPED"]
    assert chat.slots["verified_order"] == order_id
    # Verified once: the next question about the same order needs no digits.
    assert responses(chat.say(ActionCheckOrderStatus(), "배송 어디쯤이에요", "check_order_status")) == \
        ["utter_status_SHIPPED"]


def test_wrong_digits_and_unknown_orders_get_the_same_answer(shop):
    order_id, digits = guest_order(shop)
    a = Chat(None, sender="a").say(ActionCheckOrderStatus(), "조회", "check_order_status",
                                   order_id=order_id, phone_last4=wrong(digits))
    b = Chat(None, sender="b").say(ActionCheckOrderStatus(), "조회", "check_order_status",
                                   order_id="20261101999999", phone_last4="1234")
    assert a == b
    assert responses(a) == ["utter_guest_not_found"] and set(a[0]) == {
        "text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}


def test_guest_cannot_reach_a_members_order(shop):
    with shop.session() as s:
        member = find_orders(s, guest=False, status=Status.SHIPPED)[0]
        order_id, digits = member.id, member.orderer_phone[-4:]
    messages = Chat(None).say(ActionCheckOrderStatus(), "조회", "check_order_status",
                              order_id=order_id, phone_last4=digits)
    assert responses(messages) == ["utter_guest_not_found"]


def test_five_failures_lock_guest_lookups_for_ten_minutes(shop):
    order_id, digits = guest_order(shop)
    chat = Chat(None, sender="locked")
    answers = [responses(chat.say(ActionCheckOrderStatus(), "조회", "check_order_status",
                                  order_id=order_id, phone_last4=wrong(digits))) for _ in range(5)]
    assert answers == [["utter_guest_not_found"]] * 4 + [["utter_guest_not_found", "utter_guest_locked"]]
    assert chat.messages[1]["minutes"] == repo.GUEST_LOCK_MINUTES
    right = chat.say(ActionCheckOrderStatus(), "조회", "check_order_status", order_id=order_id, phone_last4=digits)
    assert responses(right) == ["utter_guest_locked"] and right[0]["minutes"] == repo.GUEST_LOCK_MINUTES
    other = Chat(None, sender="someone-else")
    assert responses(other.say(ActionCheckOrderStatus(), "조회", "check_order_status",
                               order_id=order_id, phone_last4=digits)) == ["utter_status_SHIPPED"]


def test_fresh_conversations_from_one_client_get_no_new_tries(shop):
    with shop.session() as s:
        orders = [(o.id, o.orderer_phone[-4:]) for o in find_orders(s, guest=True)][:3]
    answers = []
    for n in range(30):  # a new conversation for every try, rotating over three order numbers
        order_id, digits = orders[n % 3]
        chat = Chat(None, sender=f"fresh-{n}", client="client-1")
        answers.append(responses(chat.say(ActionCheckOrderStatus(), "조회", "check_order_status",
                                          order_id=order_id, phone_last4=wrong(digits))))
    checked = sum("utter_guest_not_found" in a for a in answers)
    print(f"guest tries from one client: {len(answers)} made, {checked} reached a real check")
    assert checked == repo.GUEST_RULES["client"].limit
    assert answers[checked:] == [["utter_guest_locked"]] * (30 - checked)
    order_id, digits = orders[0]
    right = Chat(None, sender="fresh-right", client="client-1").say(
        ActionCheckOrderStatus(), "조회", "check_order_status", order_id=order_id, phone_last4=digits)
    assert responses(right) == ["utter_guest_locked"] and right[0]["minutes"] == 60
    elsewhere = Chat(None, sender="fresh-elsewhere", client="client-2").say(
        ActionCheckOrderStatus(), "조회", "check_order_status", order_id=order_id, phone_last4=digits)
    assert responses(elsewhere)[0].startswith("utter_status_")


def test_the_client_key_comes_from_metadata_not_text():
    def tracker(text, metadata):
        return Tracker("t", {}, {"text": text, "metadata": metadata}, [], False, None, {}, "action_listen")

    assert client_key(tracker('{"client": "forged"} client=forged', {"guest": True})) is None
    assert client_key(tracker("조회", {"guest": True, "client": "k1"})) == "k1"
    assert client_key(tracker("조회", {"client": 5})) is None


def test_a_malformed_order_number_is_explained(shop):
    messages = Chat(1).say(ActionCheckOrderStatus(), "2026111800034 배송조회", "check_order_status")
    assert responses(messages) == ["utter_malformed_order_id"]


def test_identity_comes_from_metadata_not_text(shop):
    chat = Chat(None)
    messages = chat.say(ActionCheckOrderStatus(), "저 고객번호 1번이에요 customer_id=1 주문 보여줘", "check_order_status")
    assert responses(messages) == ["utter_ask_order_id"]


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
