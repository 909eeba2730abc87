"""The chat service (bot.conversation.service.Chat) on a real database, with a fake Rasa client:
what is stored, what is pushed to the websockets, and who is asked to answer."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from sqlalchemy import select

from bot import db as bot_db
from bot.conversation.broker import Broker
from bot.conversation.models import Conversation, Message
from bot.conversation.rasa_client import RasaUnavailable
from bot.conversation.service import (
    BOT_DOWN, MODE_LABELS, STAFF_CHANNEL, TOO_LONG, Chat, conversation_channel, neutralise,
)


class FakeRasa:
    """Answers each message with the replies queued for it; records what it was sent."""

    def __init__(self) -> None:
        self.sent: List[tuple] = []
        self.answers: List[List[Dict[str, Any]]] = []
        self.down = False

    async def send(self, sender: str, message: str, metadata: Dict[str, Any]) -> List[Dict[str, Any]]:
        self.sent.append((sender, message, metadata))
        if self.down:
            raise RasaUnavailable("connection refused")
        return self.answers.pop(0) if self.answers else []


class FakeDesk:
    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.requests: List[tuple] = []

    def open_ticket(self, conversation_id: str, request) -> List[dict]:
        self.requests.append((conversation_id, request))
        return [self.chat.post(conversation_id, "system", "상담원이 곧 답변드릴게요. (대기 1명)")]


@pytest.fixture
def chat(db_url, seeded_db):
    chat = Chat(url=db_url, rasa=FakeRasa(), broker=Broker(), max_chars=20)
    chat.handoff = FakeDesk(chat)
    return chat


def drain(queue: asyncio.Queue) -> List[dict]:
    return [queue.get_nowait() for _ in range(queue.qsize())]


def say(chat: Chat, conversation_id: str, text: str, payload=None) -> dict:
    return asyncio.run(chat.customer_says(conversation_id, text, payload))


def texts(messages: List[dict]) -> List[tuple]:
    return [(m["sender"], m["text"]) for m in messages]


def test_a_conversation_starts_with_the_bot(chat):
    conversation_id = chat.start_conversation(1)
    conv = chat.conversation(conversation_id)
    assert (conv.customer_id, conv.mode) == (1, "bot")
    assert chat.conversation("missing") is None and chat.messages_after(conversation_id) == []


def test_the_customer_message_and_the_bots_reply_are_stored_and_pushed(chat):
    conversation_id = chat.start_conversation(1)
    customer_socket = chat.broker.subscribe(conversation_channel(conversation_id))
    staff_socket = chat.broker.subscribe(STAFF_CHANNEL)
    chat.rasa.answers.append([{"text": "주문번호를 알려 주세요.", "buttons": [{"title": "최근 주문", "payload": "/recent"}]}])

    result = say(chat, conversation_id, "배송조회요")

    assert chat.rasa.sent == [(conversation_id, "배송조회요", {"customer_id": 1})]
    assert texts([result["message"]]) == [("customer", "배송조회요")]
    assert texts(result["replies"]) == [("bot", "주문번호를 알려 주세요.")]
    assert result["replies"][0]["buttons"] == [{"title": "최근 주문", "payload": "/recent"}]
    stored = chat.messages_after(conversation_id)
    assert stored == [result["message"], result["replies"][0]]
    assert chat.messages_after(conversation_id, after=stored[0]["id"]) == [stored[1]]
    assert drain(customer_socket) == [
        {"type": "message", "message": stored[0]},
        {"type": "typing", "on": True},
        {"type": "typing", "on": False},
        {"type": "message", "message": stored[1]},
    ]
    assert drain(staff_socket) == [{"type": "message", "conversation_id": conversation_id, "message": m}
                                   for m in stored]


def test_a_guest_is_sent_to_rasa_as_a_guest(chat):
    conversation_id = chat.start_conversation(None)
    say(chat, conversation_id, "안녕하세요")
    assert chat.rasa.sent == [(conversation_id, "안녕하세요", {"guest": True})]


def test_typed_text_cannot_pose_as_an_intent_payload(chat):
    conversation_id = chat.start_conversation(1)
    say(chat, conversation_id, '/stop{"a": 1}')
    assert chat.rasa.sent[0][1] == '／stop{"a": 1}'
    assert neutralise("  /x") == "／x" and neutralise("a/b") == "a/b"


def test_a_button_payload_counts_only_if_the_bot_offered_it(chat):
    conversation_id = chat.start_conversation(1)
    chat.rasa.answers.append([{"text": "취소할까요?", "buttons": [{"title": "네", "payload": "/affirm"}]}])
    say(chat, conversation_id, "취소해 주세요")
    say(chat, conversation_id, "네", payload="/affirm")
    say(chat, conversation_id, "주문 취소", payload="/cancel_order")
    assert [sent[1] for sent in chat.rasa.sent] == ["취소해 주세요", "/affirm", "주문 취소"]
    with bot_db.session_scope(chat.url) as s:
        metas = s.execute(select(Message.meta).where(Message.conversation_id == conversation_id,
                                                     Message.sender == "customer").order_by(Message.id)).scalars()
        assert list(metas) == [None, {"payload": "/affirm"}, None]


def test_a_too_long_message_is_stored_and_answered_without_the_bot(chat):
    conversation_id = chat.start_conversation(1)
    result = say(chat, conversation_id, "가" * 21)
    assert chat.rasa.sent == []
    assert texts(result["replies"]) == [("bot", TOO_LONG.format(limit=20))]


def test_while_a_human_has_the_conversation_the_bot_is_not_asked(chat):
    conversation_id = chat.start_conversation(1)
    customer_socket = chat.broker.subscribe(conversation_channel(conversation_id))
    chat.set_mode(conversation_id, "agent")
    result = say(chat, conversation_id, "아직인가요?")
    assert chat.rasa.sent == [] and result["replies"] == []
    assert chat.conversation(conversation_id).mode == "agent"
    assert drain(customer_socket)[0] == {"type": "status", "mode": "agent", "mode_label": MODE_LABELS["agent"]}


def test_when_rasa_is_down_the_customer_is_told(chat):
    conversation_id = chat.start_conversation(1)
    chat.rasa.down = True
    result = say(chat, conversation_id, "배송조회요")
    assert texts(result["replies"]) == [("system", BOT_DOWN)]


def test_a_handoff_payload_goes_to_the_desk_and_is_not_shown(chat):
    conversation_id = chat.start_conversation(1)
    request = {"target": "agent", "reason": "requested", "kind": "general", "order_id": None,
               "seller_id": None, "claim_id": None, "customer_id": 1,
               "intent": {"name": "request_human", "confidence": 0.97}, "slots": {}}
    chat.rasa.answers.append([{"text": "상담원을 연결해 드릴게요."}, {"custom": {"handoff": request}}])
    result = say(chat, conversation_id, "상담원 연결")
    assert chat.handoff.requests == [(conversation_id, request)]
    assert texts(result["replies"]) == [("bot", "상담원을 연결해 드릴게요."),
                                        ("system", "상담원이 곧 답변드릴게요. (대기 1명)")]
    with bot_db.session_scope(chat.url) as s:
        assert s.get(Conversation, conversation_id) is not None


def test_empty_answers_are_not_stored(chat):
    conversation_id = chat.start_conversation(1)
    chat.rasa.answers.append([{"text": ""}, {"image": "https://example.invalid/x.png"}])
    assert say(chat, conversation_id, "사진")["replies"] == []
    assert texts(chat.messages_after(conversation_id)) == [("customer", "사진")]
