"""「네」 carries out the change the bot proposed; 「아니요」 drops it.

Every change is written in one transaction with an audit record (bot.shop.repo).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff_payload import hand_off
from actions.identity import Who, latest_text, who
from actions.question import answered
from actions.wording import day_label, order_vars, won
from actions.handoff import not_understood
from bot.db import session_scope, utcnow
from bot.nlp.keywords import is_plain_answer, yes_or_no
from bot.shop import policy, repo
from bot.shop.models import Order, Status

CLEAR = [SlotSet("pending_change", None), SlotSet("scenario", None), SlotSet("return_reason", None)] + answered()


def _own_order(session, person: Who, tracker: Tracker, order_id: str) -> Optional[Order]:
    if person.guest:
        return repo.get_order(session, order_id) if tracker.get_slot("verified_order") == order_id else None
    return repo.order_for_customer(session, order_id, person.customer_id)


def confirm_change(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Yes: carry out the pending change (a typed 「응」 or the button)."""
    pending = tracker.get_slot("pending_change")
    if not pending:
        if not is_plain_answer(latest_text(tracker)):
            return not_understood(dispatcher, tracker)
        dispatcher.utter_message(response="utter_nothing_pending")
        return []
    text = latest_text(tracker)
    if not text.startswith("/") and yes_or_no(text) is not True:
        # NLU heard a yes in words that are not one (「그거 말고 저번에 그거요」): a change is made only
        # on the button or a plain typed yes. The change stays pending for one.
        return not_understood(dispatcher, tracker)
    person = who(tracker)
    conversation, now = tracker.sender_id, utcnow()
    events: List[EventType] = list(CLEAR)
    try:
        with session_scope() as session:
            order = _own_order(session, person, tracker, pending["order_id"])
            if order is None:
                dispatcher.utter_message(response="utter_order_not_found", order_id=pending["order_id"])
                return events
            values = order_vars(order)
            kind = pending["kind"]
            if kind == "cancel_now":
                claim = repo.cancel_now(session, order, person.actor, conversation, now)
                dispatcher.utter_message(response="utter_cancel_done", **values,
                                         refund_date=day_label(claim.expected_refund_date))
            elif kind == "cancel_request":
                claim = repo.request_cancel(session, order, person.actor, conversation, now)
                session.flush()
                dispatcher.utter_message(response="utter_cancel_requested", claim_no=claim.claim_no)
                events += hand_off(dispatcher, tracker, target="seller", reason="cancel_request",
                                   kind="cancel_request", order=order, claim_id=claim.id)
            elif kind == "return":
                decision = policy.return_request(Status(order.status), order.delivered_at, now, pending["reason"],
                                                 order.total_amount, order.seller.return_shipping_fee)
                if not decision.allowed:
                    raise repo.StaleOrder(order.id)
                claim = repo.create_return(session, order, pending["reason"], decision.fee,
                                           decision.refund_amount, person.actor, conversation, now)
                dispatcher.utter_message(response="utter_return_done", claim_no=claim.claim_no,
                                         refund=won(decision.refund_amount))
            elif kind == "exchange":
                claim = repo.create_exchange(session, order, pending.get("reason"), pending.get("detail"),
                                             person.actor, conversation, now)
                session.flush()
                dispatcher.utter_message(response="utter_exchange_requested", claim_no=claim.claim_no)
                events += hand_off(dispatcher, tracker, target="seller", reason="exchange", kind="exchange",
                                   order=order, claim_id=claim.id)
            elif kind == "address_now":
                repo.change_address(session, order, pending["address"], person.actor, conversation, now)
                dispatcher.utter_message(response="utter_address_done", address=pending["address"])
            elif kind == "address_request":
                claim = repo.request_address_change(session, order, pending["address"], person.actor,
                                                    conversation, now)
                session.flush()
                dispatcher.utter_message(response="utter_address_requested", claim_no=claim.claim_no)
                events += hand_off(dispatcher, tracker, target="seller", reason="address_request",
                                   kind="address_request", order=order, claim_id=claim.id)
    except repo.StaleOrder:
        dispatcher.utter_message(response="utter_change_failed", order_id=pending["order_id"])
    return events + [SlotSet("new_address", None)]


def decline_change(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """No: drop the pending change (a typed 「됐어요」 or the button)."""
    if tracker.get_slot("pending_change"):
        dispatcher.utter_message(response="utter_change_declined")
    elif not is_plain_answer(latest_text(tracker)):
        return not_understood(dispatcher, tracker)
    else:
        dispatcher.utter_message(response="utter_anything_else")
    return CLEAR + [SlotSet("new_address", None)]


class ActionConfirmChange(Action):
    def name(self) -> Text:
        return "action_confirm_change"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return confirm_change(dispatcher, tracker)


class ActionDeclineChange(Action):
    def name(self) -> Text:
        return "action_decline_change"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return decline_change(dispatcher, tracker)
