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
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.analytics import events
from bot.conversation.broker import Broker
from bot.conversation.models import Conversation, Message
from bot.conversation.rasa_client import RasaClient, RasaUnavailable
from bot.db import session_scope, utcnow
from bot.handoff.payload import HandoffRequest

log = logging.getLogger(__name__)

TOO_LONG = "메시지가 너무 길어요. {limit:,}자 이내로 나눠서 보내 주세요."
BOT_DOWN = ("죄송해요, 일시적인 오류로 지금은 답변드리지 못했어요. 잠시 후 같은 내용을 다시 보내 주세요. "
            "급하시면 아래 「상담원 연결」을 눌러 주세요.")
# The agent the bot offers when it is in trouble. Pressed while the bot still cannot answer,
# the gateway opens the ticket itself (the handoff action may be what is down).
AGENT_PAYLOAD = "/request_human"
AGENT_BUTTON = {"title": "상담원 연결", "payload": AGENT_PAYLOAD}
MODE_LABELS = {"bot": "챗봇 상담 중", "agent": "상담원 연결됨", "seller": "판매자 답변 대기"}


def conversation_channel(conversation_id: str) -> str:
    return f"conv:{conversation_id}"


STAFF_CHANNEL = "staff"
# The gateway's key for the client address of the request being served (an HMAC of the IP,
# bot.gateway.auth.client_key): set by the route, sent to Rasa as message metadata.
CLIENT_KEY: ContextVar[Optional[str]] = ContextVar("client_key", default=None)


class NoConversation(LookupError):
    """A message for a conversation that does not exist (any more)."""


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
        # Turns running now, by (conversation, client id): a retry waits for its first attempt.
        self._turns: Dict[tuple, "asyncio.Future[Dict[str, Any]]"] = {}

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
             buttons: Optional[list] = None, meta: Optional[dict] = None, client_id: Optional[str] = None) -> dict:
        """Store one message and push it to the customer's and the staff's websockets."""
        data = self._store(conversation_id, sender, text, author, buttons, meta, client_id)
        self._push(conversation_id, data)
        return data

    async def post_off_loop(self, conversation_id: str, sender: str, text: str, *, buttons: Optional[list] = None,
                            meta: Optional[dict] = None, client_id: Optional[str] = None) -> dict:
        """`post` with the database write in a worker thread: the event loop serves others while
        the commit waits for the disk. The push stays on the loop (the broker is not thread-safe)."""
        data = await asyncio.to_thread(self._store, conversation_id, sender, text, None, buttons, meta, client_id)
        self._push(conversation_id, data)
        return data

    def _store(self, conversation_id: str, sender: str, text: str, author: Optional[str], buttons: Optional[list],
               meta: Optional[dict], client_id: Optional[str]) -> dict:
        with session_scope(self.url) as session:
            message = Message(conversation_id=conversation_id, sender=sender, author=author, text=text,
                              buttons=buttons or None, meta=meta, created_at=utcnow(), client_id=client_id)
            session.add(message)
            session.flush()
            return message.to_dict()

    def _push(self, conversation_id: str, data: dict) -> None:
        self.broker.publish(conversation_channel(conversation_id), {"type": "message", "message": data})
        self.broker.publish(STAFF_CHANNEL, {"type": "message", "conversation_id": conversation_id, "message": data})

    def set_mode(self, conversation_id: str, mode: str) -> None:
        with session_scope(self.url) as session:
            conv = session.get(Conversation, conversation_id)
            conv.mode = mode
        self.broker.publish(conversation_channel(conversation_id),
                            status_frame(mode))

    def typing(self, conversation_id: str, on: bool) -> None:
        self.broker.publish(conversation_channel(conversation_id), {"type": "typing", "on": on})

    # --- the customer speaks ------------------------------------------------------------
    async def customer_says(self, conversation_id: str, text: str, payload: Optional[str] = None,
                            client_id: Optional[str] = None) -> Dict[str, Any]:
        """Store the customer's message, then let the bot or the human answer it.

        With a `client_id`, a message is stored and answered once however often it is sent:
        a retry of an answered message gets the stored replies, a retry while the first
        attempt runs waits for it, and a retry of a turn that failed (the bot was down) or
        was cut off (the gateway was restarted) runs it again, still as one message. The
        turn runs on even if the caller hangs up.
        """
        key = (conversation_id, client_id)
        turn = self._turns.get(key) if client_id else None
        if turn is None:
            turn = asyncio.ensure_future(self._turn(conversation_id, text, payload, client_id))
            if client_id:
                self._turns[key] = turn
                turn.add_done_callback(lambda _: self._turns.pop(key, None))
        return await asyncio.shield(turn)

    async def _turn(self, conversation_id: str, text: str, payload: Optional[str],
                    client_id: Optional[str]) -> Dict[str, Any]:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = self._locks[conversation_id] = asyncio.Lock()
        # The database work of a turn runs in worker threads (asyncio.to_thread): its commits wait
        # for the disk without holding up the event loop, which serves the other conversations.
        async with lock:  # one turn at a time per conversation: replies stay in order
            begun = await asyncio.to_thread(self._begin, conversation_id, text, payload, client_id)
            message, payload = begun["message"], begun["payload"]
            if begun["answered"]:
                return {"message": message, "replies": begun["replies"]}
            if begun["stored"]:
                self._push(conversation_id, message)
            # else: failed or cut off before: the same message, once more
            text, conv = message["text"], begun["conversation"]
            replies: List[dict] = []
            if len(text) <= self.max_chars and conv.mode == "bot":
                # Marks the message answered with the replies, or leaves it to be sent again.
                wants_agent = payload == AGENT_PAYLOAD or text == AGENT_BUTTON["title"]
                replies, _ = await self._ask_bot(conv, payload or neutralise(text), message["id"], wants_agent)
                return {"message": message, "replies": replies}
            if len(text) > self.max_chars:
                replies.append(await self.post_off_loop(conversation_id, "bot", TOO_LONG.format(limit=self.max_chars)))
            await asyncio.to_thread(self._answered, message["id"], replies)
            return {"message": message, "replies": replies}

    def _begin(self, conversation_id: str, text: str, payload: Optional[str],
               client_id: Optional[str]) -> Dict[str, Any]:
        """A turn's first database work, one transaction: the conversation (who answers now) and the
        customer's message, stored now (`stored`) or, with a client id, the one an earlier attempt
        stored (`answered`, with its `replies`, if that attempt got an answer). A payload counts only
        if the bot offered it."""
        with session_scope(self.url) as session:
            conv = session.get(Conversation, conversation_id)
            if conv is None:
                raise NoConversation(conversation_id)
            earlier = _earlier(session, conversation_id, client_id) if client_id else None
            if earlier is None:
                payload = payload if payload and _offered(session, conversation_id, payload) else None
                row = Message(conversation_id=conversation_id, sender="customer", text=text, created_at=utcnow(),
                              meta={"payload": payload} if payload else None, client_id=client_id)
                session.add(row)
                try:
                    session.flush()
                except IntegrityError:  # another gateway process stored it a moment ago
                    session.rollback()
                    session.refresh(conv)
                    earlier = _earlier(session, conversation_id, client_id)
                else:
                    return {"conversation": conv, "message": row.to_dict(), "payload": payload, "stored": True,
                            "answered": False, "replies": []}
            return {"conversation": conv, **earlier, "stored": False}

    def _answered(self, message_id: int, replies: List[dict]) -> None:
        """The turn is over; `replies` are kept for a retry of the same client id."""
        with session_scope(self.url) as session:
            mark_answered(session.get(Message, message_id), [r["id"] for r in replies])

    def _store_answer(self, conversation_id: str, message_id: int, replies: List[tuple]) -> List[dict]:
        """The bot's replies to one customer message, and that message marked answered (the
        replies kept for a retry when it has a client id), in one transaction."""
        with session_scope(self.url) as session:
            rows = [Message(conversation_id=conversation_id, sender="bot", text=text, buttons=buttons or None,
                            created_at=utcnow()) for text, buttons in replies]
            session.add_all(rows)
            session.flush()
            mark_answered(session.get(Message, message_id), [row.id for row in rows])
            return [row.to_dict() for row in rows]

    async def _ask_bot(self, conv: Conversation, text: str, message_id: int,
                       wants_agent: bool = False) -> tuple:
        """The bot's replies to one message, and whether that was an answer (the message is then
        marked answered; False: the bot failed, the customer was told so and offered an agent;
        the turn may be retried)."""
        metadata: Dict[str, Any] = {"customer_id": conv.customer_id} if conv.customer_id else {"guest": True}
        if CLIENT_KEY.get():
            metadata["client"] = CLIENT_KEY.get()
        self.typing(conv.id, True)
        try:
            answers = await self.rasa.send(conv.id, text, metadata, message_id=f"m{message_id}")
            if not any(says_something(answer) for answer in answers):
                # This bot answers every message; nothing back means an action failed
                # (Rasa logs the error and goes on without its events). Undo the turn in
                # the tracker, so that it can be sent again once the action server is back.
                log.error("the bot gave no answer to message %s of %s: undoing the turn", message_id, conv.id)
                await self.rasa.rewind(conv.id)
                raise RasaUnavailable("no answer")
        except RasaUnavailable as exc:
            log.error("rasa unavailable: %s", exc)
            if wants_agent and self.handoff is not None:
                replies = self.handoff.open_ticket(conv.id, bot_trouble_handoff(conv))
                await asyncio.to_thread(self._answered, message_id, replies)
                return replies, True
            return [await self.post_off_loop(conv.id, "bot", BOT_DOWN, buttons=[AGENT_BUTTON])], False
        finally:
            self.typing(conv.id, False)
        return await self.bot_says(conv.id, answers, answer_to=message_id), True

    async def bot_says(self, conversation_id: str, answers: List[dict], answer_to: Optional[int] = None) -> List[dict]:
        """Store what Rasa answered; a handoff payload becomes a ticket. With `answer_to`, that
        customer message is marked answered too; without a handoff, in the same transaction as the
        replies: a gateway killed in between cannot leave replies stored for a message that a
        retry then has answered, and stored, once more."""
        if answer_to is not None and not any("handoff" in (a.get("custom") or {}) for a in answers):
            replies = [(a.get("text") or "", bot_buttons(a)) for a in answers]
            stored = await asyncio.to_thread(self._store_answer, conversation_id, answer_to,
                                             [(t, b) for t, b in replies if t or b])
            for data in stored:
                self._push(conversation_id, data)
            return stored
        stored = []
        for answer in answers:
            custom = answer.get("custom") or {}
            if "handoff" in custom:
                if self.handoff is not None:
                    stored += self.handoff.open_ticket(conversation_id, custom["handoff"])
                continue
            text, buttons = answer.get("text") or "", bot_buttons(answer)
            if text or buttons:
                stored.append(await self.post_off_loop(conversation_id, "bot", text, buttons=buttons))
        if answer_to is not None:
            await asyncio.to_thread(self._answered, answer_to, stored)
        return stored


def _earlier(session: Session, conversation_id: str, client_id: str) -> Optional[Dict[str, Any]]:
    """The stored message with this client id: itself, its payload, whether and how it was answered."""
    row = session.execute(select(Message).where(Message.conversation_id == conversation_id,
                                                 Message.client_id == client_id)).scalar_one_or_none()
    if row is None:
        return None
    meta = row.meta or {}
    replies = []
    if row.answered_at is not None and meta.get("replies"):
        found = {m.id: m for m in session.execute(select(Message).where(Message.id.in_(meta["replies"]))).scalars()}
        replies = [found[i].to_dict() for i in meta["replies"] if i in found]
    return {"message": row.to_dict(), "payload": meta.get("payload"), "answered": row.answered_at is not None,
            "replies": replies}


def _offered(session: Session, conversation_id: str, payload: str) -> bool:
    """A button payload counts only if the bot offered that button in its latest turns."""
    recent = session.execute(
        select(Message.buttons).where(Message.conversation_id == conversation_id, Message.sender == "bot")
        .order_by(Message.id.desc()).limit(5)
    ).scalars()
    return any(payload == b.get("payload") for buttons in recent if buttons for b in buttons)


def mark_answered(message: Message, reply_ids: List[int]) -> None:
    """A customer message's turn is over; its replies are kept for a retry of its client id."""
    message.answered_at = utcnow()
    if message.client_id:
        message.meta = {**(message.meta or {}), "replies": reply_ids}


def bot_buttons(answer: Dict[str, Any]) -> List[Dict[str, str]]:
    return [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in answer.get("buttons") or []]


def says_something(answer: Dict[str, Any]) -> bool:
    return bool(answer.get("text") or answer.get("buttons") or (answer.get("custom") or {}).get("handoff"))


def bot_trouble_handoff(conv: Conversation) -> HandoffRequest:
    """The ticket for a customer who asks for an agent while the bot cannot answer."""
    return HandoffRequest(target="agent", reason="requested", kind="general", order_id=None, seller_id=None,
                          claim_id=None, customer_id=conv.customer_id,
                          intent={"name": "request_human", "confidence": None}, slots={})


def status_frame(mode: str) -> Dict[str, str]:
    """What the customer's socket receives about who answers now."""
    return {"type": "status", "mode": mode, "mode_label": MODE_LABELS[mode]}


def neutralise(text: str) -> str:
    """Typed text must not be read by Rasa as an intent payload (「/cancel_order{...}」)."""
    stripped = text.lstrip()
    return "／" + stripped[1:] if stripped.startswith("/") else text
