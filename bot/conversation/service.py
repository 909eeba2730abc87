"""What happens when someone says something in a conversation.

One function per thing a user does: each stores the message and pushes it to the
open websockets together, so no caller can forget either. Customer messages go
to Rasa while the bot has the conversation, and only to the humans otherwise.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Protocol

from sqlalchemy import select

from bot.analytics import events
from bot.conversation.broker import Broker
from bot.conversation.models import Conversation, Message
from bot.conversation.rasa_client import RasaClient, RasaUnavailable
from bot.db import session_scope, utcnow
from bot.handoff.payload import HandoffRequest

log = logging.getLogger(__name__)

TOO_LONG = "메시지가 너무 길어요. {limit:,}자 이내로 나눠서 보내 주세요."
BOT_DOWN = "일시적인 오류로 답변하지 못했어요. 잠시 후 다시 보내 주세요. 급하시면 「상담원 연결」을 요청해 주세요."
MODE_LABELS = {"bot": "챗봇 상담 중", "agent": "상담원 연결됨", "seller": "판매자 답변 대기"}


def conversation_channel(conversation_id: str) -> str:
    return f"conv:{conversation_id}"


STAFF_CHANNEL = "staff"


class HandoffSink(Protocol):
    """Who takes a conversation when the bot hands it off (bot.handoff.desk.Desk)."""

    def open_ticket(self, conversation_id: str, request: HandoffRequest) -> List[dict]:
        """Open a ticket for the conversation; returns the messages the customer was told."""


@dataclass
class Chat:
    """The conversation service: storage, routing and fan-out."""

    url: str
    rasa: RasaClient
    broker: Broker
    max_chars: int = 1000
    handoff: Optional[HandoffSink] = None  # set by the app once the desk exists

    def __post_init__(self) -> None:
        # One lock per conversation while someone holds or waits for it; then it is collected.
        self._locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()

    # --- conversations ------------------------------------------------------------
    def start_conversation(self, customer_id: Optional[int]) -> str:
        conversation_id = uuid.uuid4().hex
        with session_scope(self.url) as session:
            session.add(Conversation(id=conversation_id, customer_id=customer_id, mode="bot"))
            events.record(session, "conversation_started", conversation_id, key=f"start:{conversation_id}",
                          data={"customer_id": customer_id})
        return conversation_id

    def conversation(self, conversation_id: str) -> Optional[Conversation]:
        with session_scope(self.url) as session:
            return session.get(Conversation, conversation_id)

    def messages_after(self, conversation_id: str, after: int = 0) -> List[dict]:
        with session_scope(self.url) as session:
            query = select(Message).where(Message.conversation_id == conversation_id, Message.id > after)
            return [m.to_dict() for m in session.execute(query.order_by(Message.id)).scalars()]

    # --- storing and pushing ----------------------------------------------------------
    def post(self, conversation_id: str, sender: str, text: str, *, author: Optional[str] = None,
             buttons: Optional[list] = None, meta: Optional[dict] = None) -> dict:
        """Store one message and push it to the customer's and the staff's websockets."""
        with session_scope(self.url) as session:
            message = Message(conversation_id=conversation_id, sender=sender, author=author, text=text,
                              buttons=buttons or None, meta=meta, created_at=utcnow())
            session.add(message)
            session.flush()
            data = message.to_dict()
        self.broker.publish(conversation_channel(conversation_id), {"type": "message", "message": data})
        self.broker.publish(STAFF_CHANNEL, {"type": "message", "conversation_id": conversation_id, "message": data})
        return data

    def set_mode(self, conversation_id: str, mode: str) -> None:
        with session_scope(self.url) as session:
            conv = session.get(Conversation, conversation_id)
            conv.mode = mode
        self.broker.publish(conversation_channel(conversation_id),
                            status_frame(mode))

    def typing(self, conversation_id: str, on: bool) -> None:
        self.broker.publish(conversation_channel(conversation_id), {"type": "typing", "on": on})

    # --- the customer speaks ------------------------------------------------------------
    async def customer_says(self, conversation_id: str, text: str, payload: Optional[str] = None) -> Dict[str, Any]:
        """Store the customer's message, then let the bot or the human answer it."""
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = self._locks[conversation_id] = asyncio.Lock()
        async with lock:  # one turn at a time per conversation: replies stay in order
            conv = self.conversation(conversation_id)
            payload = payload if payload and self._offered(conversation_id, payload) else None
            message = self.post(conversation_id, "customer", text, meta={"payload": payload} if payload else None)
            replies: List[dict] = []
            if len(text) > self.max_chars:
                replies.append(self.post(conversation_id, "bot", TOO_LONG.format(limit=self.max_chars)))
            elif conv.mode == "bot":
                replies = await self._ask_bot(conv, payload or neutralise(text))
            return {"message": message, "replies": replies}

    def _offered(self, conversation_id: str, payload: str) -> bool:
        """A button payload counts only if the bot offered that button in its latest turns."""
        with session_scope(self.url) as session:
            recent = session.execute(
                select(Message.buttons).where(Message.conversation_id == conversation_id, Message.sender == "bot")
                .order_by(Message.id.desc()).limit(5)
            ).scalars()
            return any(payload == b.get("payload") for buttons in recent if buttons for b in buttons)

    async def _ask_bot(self, conv: Conversation, text: str) -> List[dict]:
        metadata: Dict[str, Any] = {"customer_id": conv.customer_id} if conv.customer_id else {"guest": True}
        self.typing(conv.id, True)
        try:
            answers = await self.rasa.send(conv.id, text, metadata)
        except RasaUnavailable as exc:
            log.error("rasa unavailable: %s", exc)
            return [self.post(conv.id, "system", BOT_DOWN)]
        finally:
            self.typing(conv.id, False)
        return await self.bot_says(conv.id, answers)

    async def bot_says(self, conversation_id: str, answers: List[dict]) -> List[dict]:
        """Store what Rasa answered; a handoff payload becomes a ticket."""
        stored = []
        for answer in answers:
            custom = answer.get("custom") or {}
            if "handoff" in custom:
                if self.handoff is not None:
                    stored += self.handoff.open_ticket(conversation_id, custom["handoff"])
                continue
            text = answer.get("text") or ""
            buttons = [{"title": b.get("title", ""), "payload": b.get("payload", "")}
                       for b in answer.get("buttons") or []]
            if text or buttons:
                stored.append(self.post(conversation_id, "bot", text, buttons=buttons))
        return stored


def status_frame(mode: str) -> Dict[str, str]:
    """What the customer's socket receives about who answers now."""
    return {"type": "status", "mode": mode, "mode_label": MODE_LABELS[mode]}


def neutralise(text: str) -> str:
    """Typed text must not be read by Rasa as an intent payload (「/cancel_order{...}」)."""
    stripped = text.lstrip()
    return "／" + stripped[1:] if stripped.startswith("/") else text
