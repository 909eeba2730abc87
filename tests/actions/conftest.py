"""Actions run against a real database seeded for *today* (the actions read the real clock)."""
from __future__ import annotations

import asyncio
import inspect
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import db as bot_db
from bot.db import utcnow
from tests.conftest import ROOT
from tests.fixtures import customer1_orders, snapshot

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.fixture
def shop(new_db_url, monkeypatch):
    """A freshly seeded shop; the actions' default database for this test."""
    from bot.demo import seed

    url = new_db_url()
    now = utcnow()
    with bot_db.session_scope(url) as s:
        seed(s, now)
    monkeypatch.setenv("DATABASE_URL", url)
    return Shop(url)


class Shop:
    def __init__(self, url: str) -> None:
        self.url = url

    def session(self):
        return bot_db.session_scope(self.url)

    def orders(self) -> Dict[str, str]:
        with self.session() as s:
            return {k: v.id for k, v in customer1_orders(s, utcnow()).items()}

    def snapshot(self) -> dict:
        with self.session() as s:
            return snapshot(s)


class Chat:
    """Drives actions the way Rasa would: slots carried over between turns from the events."""

    def __init__(self, customer_id: Optional[int] = 1, sender: str = "conv-test") -> None:
        self.customer_id, self.sender = customer_id, sender
        self.slots: Dict[str, Any] = {}
        self.events: List[dict] = []
        self.latest: Dict[str, Any] = {}

    def user(self, text: str, intent: str, **entities: str) -> "Chat":
        metadata = {"customer_id": self.customer_id} if self.customer_id else {"guest": True}
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
