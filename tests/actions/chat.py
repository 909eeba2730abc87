"""Drive actions the way Rasa would, without Rasa: a tracker built from the events so far.

    chat = Chat(customer_id=1)
    messages = chat.say(ActionCheckOrderStatus(), "주문한 거 언제 와요?", "check_order_status")
    assert responses(messages) == [...]
"""
from __future__ import annotations

import asyncio
import inspect
from typing import Any, Dict, List, Optional

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.db import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


class Chat:
    """Drives actions the way Rasa would: slots carried over between turns from the events."""

    def __init__(self, customer_id: Optional[int] = 1, sender: str = "conv-test",
                 client: Optional[str] = None) -> None:
        self.customer_id, self.sender, self.client = customer_id, sender, client
        self.slots: Dict[str, Any] = {}
        self.events: List[dict] = []
        self.latest: Dict[str, Any] = {}

    def user(self, text: str, intent: str, **entities: str) -> "Chat":
        metadata = {"customer_id": self.customer_id} if self.customer_id else {"guest": True}
        if self.client:
            metadata["client"] = self.client  # the gateway's key for the client address
        ents = [{"entity": k, "value": v, "start": 0, "end": 0} for k, v in entities.items()]
        for ent in ents:  # from_entity slot mappings, as Rasa fills them before the action
            if ent["entity"] in ("order_id", "phone_last4", "return_reason"):
                self.slots[ent["entity"]] = ent["value"]
        self.latest = {"text": text, "intent": {"name": intent, "confidence": 0.97}, "entities": ents,
                       "intent_ranking": [{"name": intent, "confidence": 0.97}], "metadata": metadata}
        self.events.append({"event": "user", "text": text, "parse_data": self.latest, "metadata": metadata})
        return self

    def run(self, action) -> List[dict]:
        tracker = Tracker(self.sender, dict(self.slots), self.latest, list(self.events), False, None, {},
                          "action_listen")
        dispatcher = CollectingDispatcher()
        result = action.run(dispatcher, tracker, DOMAIN)
        events = asyncio.run(result) if inspect.iscoroutine(result) else result
        self.events.append({"event": "action", "name": action.name()})
        for message in dispatcher.messages:
            self.events.append({"event": "bot", "text": message.get("text"),
                                "metadata": {"utter_action": message.get("response")}})
        for event in events:
            self.events.append(event)
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        self.messages, self.returned = dispatcher.messages, events
        return dispatcher.messages

    def say(self, action, text: str, intent: str, **entities: str) -> List[dict]:
        return self.user(text, intent, **entities).run(action)


def responses(messages: List[dict]) -> List[str]:
    return [m.get("response") or m.get("text") or ("custom" if m.get("custom") else "") for m in messages]


def handoff_of(messages: List[dict]) -> Optional[dict]:
    return next((m["custom"]["handoff"] for m in messages if (m.get("custom") or {}).get("handoff")), None)


def changed_tables(before: dict, after: dict) -> Dict[str, tuple]:
    """Per table of two snapshots: (rows added, rows changed)."""
    from tests.fixtures import diff

    return {name: (len(c["added"]), len(c["changed"])) for name, c in diff(before, after).items()}
