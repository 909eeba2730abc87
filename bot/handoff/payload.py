"""The contracts between the bot, the desk and the consoles, as typed dicts.

`HandoffRequest` is what an action puts in its custom payload under "handoff"
(actions/handoff_payload.py builds it; bot.handoff.desk.Desk.open_ticket reads it).
`StaffIdentity` is the signed-in staff member every desk function receives.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, TypedDict


class IntentGuess(TypedDict):
    name: Optional[str]
    confidence: Optional[float]


class HandoffRequest(TypedDict):
    target: str  # "agent" | "seller"
    reason: str  # a key of bot.handoff.desk.HANDOFF_REASON_LABELS
    kind: str  # "general" | "question" | "cancel_request" | "address_request" | "exchange"
    order_id: Optional[str]
    seller_id: Optional[int]
    claim_id: Optional[int]
    customer_id: Optional[int]
    intent: IntentGuess
    slots: Dict[str, Any]


class StaffIdentity(TypedDict):
    id: int
    username: str
    role: str  # "agent" | "seller"
    seller_id: Optional[int]
    display_name: str
