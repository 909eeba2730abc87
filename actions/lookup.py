"""Finding the order a customer means, within what they are allowed to see.

Logged-in customers see only their own orders; with several candidates and no
order number the recent ones are offered as buttons. Guests prove an order with
its number and the orderer's phone digits; a wrong pair reveals nothing. Failures are
counted per conversation, per order number, per client address and for everyone
(bot.shop.repo.GUEST_RULES); a locked scope refuses before any check is made.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.identity import latest_entity, latest_text, who
from bot.clock import KST
from bot.nlp.keywords import chosen_order
from actions.question import ORDER_CHOICE, asked
from actions.wording import order_button, order_choice
from bot.db import utcnow
from bot.shop import repo
from bot.shop.models import Order
from bot.shop.policy import SCENARIO_STATUSES

# A long digit run that is not a valid order number: tell the customer the format.
_LONG_DIGITS = re.compile(r"\d[\d\- ]{7,}\d")


@dataclass
class Lookup:
    order: Optional[Order] = None
    events: List[EventType] = field(default_factory=list)


def find_order(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    session: Session,
    scenario: str,
    continuing: bool,
) -> Lookup:
    """The order for `scenario`, or the question that gets closer to it (already uttered).

    `continuing` is true when the customer is answering the bot's question, so the
    order number given earlier in this scenario still counts.
    """
    events: List[EventType] = [SlotSet("scenario", scenario)]
    given = latest_entity(tracker, "order_id")
    if given is None and _LONG_DIGITS.search(latest_text(tracker)):
        dispatcher.utter_message(response="utter_malformed_order_id")
        return Lookup(events=events)
    if given is None and continuing:
        given = tracker.get_slot("order_id")

    person = who(tracker)
    if person.guest:
        return _guest_order(dispatcher, tracker, session, given, events)

    if given:
        order = repo.order_for_customer(session, given, person.customer_id)
        if order is None:
            dispatcher.utter_message(response="utter_order_not_found", order_id=given)
            return Lookup(events=events + [SlotSet("order_id", None)])
        return Lookup(order, events + [SlotSet("order_id", order.id)])

    likely = SCENARIO_STATUSES.get(scenario)
    candidates = repo.recent_orders(session, person.customer_id, likely) if likely else []
    if not candidates:
        candidates = repo.recent_orders(session, person.customer_id)
    if len(candidates) == 1:
        return Lookup(candidates[0], events + [SlotSet("order_id", candidates[0].id)])
    if not candidates:
        dispatcher.utter_message(response="utter_no_orders")
        return Lookup(events=events)
    choices = [order_choice(o) for o in candidates]
    # 「어제 주문한 거 취소요」「니트 반품할래요」: the request already says which order.
    named = chosen_order(latest_text(tracker), choices, datetime.now(KST).date(), ordinals=False)
    if named is not None and not continuing:
        return Lookup(next(o for o in candidates if o.id == named), events + [SlotSet("order_id", named)])
    dispatcher.utter_message(response="utter_choose_order", count=len(candidates),
                             buttons=[order_button(o) for o in candidates])
    return Lookup(events=events + [SlotSet("order_id", None)] + asked(ORDER_CHOICE, choices))


def _guest_order(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    session: Session,
    given: Optional[str],
    events: List[EventType],
) -> Lookup:
    now = utcnow()
    conversation, client = tracker.sender_id, client_key(tracker)
    verified = tracker.get_slot("verified_order")
    if verified and given in (None, verified):
        return Lookup(repo.get_order(session, verified), events + [SlotSet("order_id", verified)])

    locked_until = repo.guest_locked_until(session, conversation, now, client, given)
    if locked_until is not None:
        _say_locked(dispatcher, locked_until, now)
        return Lookup(events=events + [SlotSet("order_id", None), SlotSet("phone_last4", None)])
    if not given:
        dispatcher.utter_message(response="utter_ask_order_id")
        return Lookup(events=events)

    digits = latest_entity(tracker, "phone_last4") or tracker.get_slot("phone_last4")
    if not digits:
        dispatcher.utter_message(response="utter_ask_phone_last4")
        return Lookup(events=events + [SlotSet("order_id", given)])

    # The real check: the scopes stay locked until this transaction ends, so a parallel
    # attempt waits for this one's failure to be counted.
    if repo.guest_locked_until(session, conversation, now, client, given, for_update=True) is None:
        order = repo.order_for_guest(session, given, digits)
        if order is not None:
            repo.clear_guest_failures(session, conversation, now)
            return Lookup(order, events + [SlotSet("verified_order", order.id), SlotSet("order_id", order.id),
                                           SlotSet("phone_last4", None)])
        locked_until = repo.record_guest_failure(session, conversation, now, client, given)
        dispatcher.utter_message(response="utter_guest_not_found")
    else:
        locked_until = repo.guest_locked_until(session, conversation, now, client, given)
    if locked_until is not None:
        _say_locked(dispatcher, locked_until, now)
    return Lookup(events=events + [SlotSet("order_id", None), SlotSet("phone_last4", None)])


def _say_locked(dispatcher: CollectingDispatcher, locked_until: datetime, now: datetime) -> None:
    minutes = max(1, math.ceil((locked_until - now).total_seconds() / 60))
    dispatcher.utter_message(response="utter_guest_locked", minutes=minutes)


def client_key(tracker: Tracker) -> Optional[str]:
    """The gateway's key for the client's address (an HMAC, never the address itself), read
    from the message metadata only: never from what the customer typed."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    key = metadata.get("client")
    return key if isinstance(key, str) and key else None
