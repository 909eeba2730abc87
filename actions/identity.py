"""Who is asking and what they just said, read from the tracker.

Identity comes only from the metadata the gateway attaches to each message
(`customer_id` for a logged-in customer, nothing for a guest); never from text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from rasa_sdk import Tracker


@dataclass(frozen=True)
class Who:
    conversation_id: str
    customer_id: Optional[int]

    @property
    def guest(self) -> bool:
        return self.customer_id is None

    @property
    def actor(self) -> str:
        return "guest" if self.guest else f"customer:{self.customer_id}"


def who(tracker: Tracker) -> Who:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    if not metadata:
        metadata = tracker.get_slot("session_started_metadata") or {}
    raw = metadata.get("customer_id")
    try:
        customer_id = int(raw) if raw is not None else None
    except (TypeError, ValueError):
        customer_id = None
    return Who(conversation_id=tracker.sender_id, customer_id=customer_id)


def latest_entity(tracker: Tracker, name: str) -> Optional[str]:
    return next(tracker.get_latest_entity_values(name), None)


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""
