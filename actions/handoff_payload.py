"""The handoff hook: the custom payload an action sends so that the gateway opens a ticket.

The payload is a `bot.handoff.payload.HandoffRequest` under the key "handoff";
`bot.handoff.desk.Desk.open_ticket` reads it.
"""
from __future__ import annotations

from typing import List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import who
from bot.handoff.payload import HandoffRequest, IntentGuess
from bot.shop.models import Order

# Slots a human should see in a handoff; everything else is internal bookkeeping.
CONTEXT_SLOTS = ("order_id", "scenario", "return_reason", "pending_change", "new_address", "verified_order")


def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    *,
    target: str,
    reason: str,
    kind: str = "general",
    order: Optional[Order] = None,
    claim_id: Optional[int] = None,
) -> List[EventType]:
    """Send the handoff payload for the gateway to turn into a ticket.

    Agent handoffs pause the Rasa conversation until the agent hands it back;
    seller tickets are asynchronous, so the bot keeps serving meanwhile.
    """
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    ranking = latest.get("intent_ranking") or []
    # Behind a fallback, the best real guess is more useful to a human than "nlu_fallback".
    guess = next((r for r in ranking if r.get("name") != "nlu_fallback"), intent)
    slots = {name: tracker.get_slot(name) for name in CONTEXT_SLOTS if tracker.get_slot(name) is not None}
    request = HandoffRequest(
        target=target,
        reason=reason,
        kind=kind,
        order_id=order.id if order else None,
        seller_id=order.seller_id if order else None,
        claim_id=claim_id,
        customer_id=who(tracker).customer_id,
        intent=IntentGuess(name=guess.get("name"), confidence=guess.get("confidence")),
        slots=slots,
    )
    dispatcher.utter_message(json_message={"handoff": request})
    if target != "agent":
        return []
    # The agent has the conversation now: a later 「응」 answers nothing the bot asked.
    return [ConversationPaused(), SlotSet("question", None), SlotSet("choices", None)]
