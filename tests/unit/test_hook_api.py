"""The inbound help-desk API (bot.gateway.hook_api) on an in-process Sanic server, a real
database and a fake Rasa client: signed requests act on tickets as the `helpdesk` account."""
from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from datetime import datetime
from typing import Any, Dict, List, Optional

import aiohttp
import pytest
from sanic import Sanic
from sqlalchemy import select

from bot import db as bot_db
from bot.config import Settings
from bot.conversation.broker import Broker
from bot.conversation.models import Conversation
from bot.conversation.service import Chat
from bot.gateway import hook_api
from bot.gateway.web import register_errors
from bot.handoff.desk import Desk
from bot.handoff.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, ConsoleHook, sign
from bot.handoff.models import StaffUser, Ticket

SECRET = "hook-secret"
FRIDAY_10_KST = datetime(2026, 11, 27, 1, 0)  # naive UTC, CS hours


class FakeRasa:
    def __init__(self) -> None:
        self.calls: List[tuple] = []

    async def resume(self, sender: str, say: Optional[str] = None) -> List[Dict[str, Any]]:
        self.calls.append(("resume", sender, say))
        return [{"text": "더 도와드릴 일이 있을까요?"}] if say else []


@pytest.fixture
def desk(db_url, seeded_db, monkeypatch):
    # Sanic rewrites its request handler when a server starts; in test mode it keeps the
    # original, so several servers can start in one process.
    monkeypatch.setattr(Sanic, "test_mode", True)
    chat = Chat(url=db_url, rasa=FakeRasa(), broker=Broker())
    desk = Desk(url=db_url, chat=chat, hook=ConsoleHook(), clock=lambda: FRIDAY_10_KST)
    chat.handoff = desk
    return desk


def agent_ticket(desk: Desk) -> tuple:
    conversation_id = desk.chat.start_conversation(1)
    desk.open_ticket(conversation_id, {"target": "agent", "reason": "requested", "kind": "general",
                                       "order_id": None, "seller_id": None, "claim_id": None, "customer_id": 1,
                                       "intent": {"name": "request_human", "confidence": 0.99}, "slots": {}})
    with bot_db.session_scope(desk.url) as s:
        ticket_id = s.execute(select(Ticket.id).where(Ticket.conversation_id == conversation_id)).scalar_one()
    return conversation_id, ticket_id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(desk: Desk, requests: List[tuple]) -> List[tuple]:
    """Serve hook_api on a free port and POST each (path, body, signed[, timestamp]); returns
    (status, json) each. The same body and timestamp again is a byte-for-byte replay."""
    async def scenario() -> List[tuple]:
        app = Sanic(f"hook_api_{uuid.uuid4().hex[:8]}")
        register_errors(app)
        hook_api.register(app, Settings(database_url=desk.url, webhook_secret=SECRET), desk)
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                         access_log=False)
        await server.startup()
        await server.start_serving()
        answers = []
        try:
            async with aiohttp.ClientSession() as http:
                for path, body, signed, *when in requests:
                    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
                    timestamp = str(when[0] if when else int(time.time()))
                    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                               SIGNATURE_HEADER: sign(SECRET if signed else "wrong", timestamp, raw)}
                    async with http.post(f"http://127.0.0.1:{port}{path}", data=raw, headers=headers) as resp:
                        answers.append((resp.status, await resp.json()))
        finally:
            server.close()
            await server.wait_closed()
        return answers

    return asyncio.run(scenario())


def ticket(desk: Desk, ticket_id: int) -> Ticket:
    with bot_db.session_scope(desk.url) as s:
        t = s.get(Ticket, ticket_id)
        s.expunge(t)
        return t


def helpdesk_id(desk: Desk) -> Optional[int]:
    with bot_db.session_scope(desk.url) as s:
        return s.execute(select(StaffUser.id).where(StaffUser.username == "helpdesk")).scalar()


def test_a_signed_reply_reaches_the_customer_under_the_authors_name(desk):
    conversation_id, ticket_id = agent_ticket(desk)
    [(status, body)] = call(desk, [(f"/api/hook/tickets/{ticket_id}/reply", {"text": "확인해 볼게요.", "author": "박지원"}, True)])
    assert status == 200
    assert (body["message"]["sender"], body["message"]["author"], body["message"]["text"]) == ("agent", "박지원", "확인해 볼게요.")
    assert desk.chat.messages_after(conversation_id)[-1] == body["message"]
    assert (ticket(desk, ticket_id).status, ticket(desk, ticket_id).assignee_id) == ("assigned", helpdesk_id(desk))


def test_unsigned_requests_change_nothing(desk):
    conversation_id, ticket_id = agent_ticket(desk)
    before = desk.chat.messages_after(conversation_id)
    assert call(desk, [(f"/api/hook/tickets/{ticket_id}/reply", {"text": "가짜"}, False)]) == [
        (401, {"error": "서명이 올바르지 않아요."})]
    assert desk.chat.messages_after(conversation_id) == before and ticket(desk, ticket_id).status == "queued"


def test_desk_refusals_map_to_http_statuses(desk):
    _, ticket_id = agent_ticket(desk)
    answers = call(desk, [
        ("/api/hook/tickets/999999/reply", {"text": "안녕하세요"}, True),
        (f"/api/hook/tickets/{ticket_id}/reply", {"text": "  "}, True),
        (f"/api/hook/tickets/{ticket_id}/reply", b"{not json", True),
        (f"/api/hook/tickets/{ticket_id}/close", {"author": "박지원"}, True),
        (f"/api/hook/tickets/{ticket_id}/reply", {"text": "늦은 답변"}, True),
    ])
    assert answers[0] == (404, {"error": "티켓을 찾을 수 없어요."})
    assert answers[1] == (409, {"error": "내용을 입력해 주세요."})
    assert answers[2] == (400, {"error": "요청 형식이 올바르지 않아요."})
    assert answers[3][0] == 200 and answers[3][1]["ticket"]["status"] == "closed"
    assert answers[4] == (409, {"error": "이미 종료된 상담이에요."})


def test_hand_back_returns_the_conversation_to_the_bot(desk):
    conversation_id, ticket_id = agent_ticket(desk)
    [(status, body)] = call(desk, [(f"/api/hook/tickets/{ticket_id}/handback",
                                    {"author": "박지원", "idempotency_key": "handback-1"}, True)])
    assert status == 200 and body["ticket"]["status"] == "resolved"
    assert body["ticket"]["status_label"] == "해결됨"
    with bot_db.session_scope(desk.url) as s:
        assert s.get(Conversation, conversation_id).mode == "bot"
    assert desk.chat.rasa.calls == [("resume", conversation_id, "utter_handback")]
    last = desk.chat.messages_after(conversation_id)[-1]
    assert (last["sender"], last["text"]) == ("bot", "더 도와드릴 일이 있을까요?")


def test_a_replayed_signed_reply_is_posted_once(desk):
    conversation_id, ticket_id = agent_ticket(desk)
    now = int(time.time())
    reply = (f"/api/hook/tickets/{ticket_id}/reply", {"text": "환불 접수했어요.", "author": "박지원"}, True, now)
    answers = call(desk, [reply, reply, reply])
    posted = [m for m in desk.chat.messages_after(conversation_id) if m["text"] == "환불 접수했어요."]
    print(f"signed reply sent {len(answers)} times, posted {len(posted)} times")
    assert [status for status, _ in answers] == [200, 409, 409] and len(posted) == 1
    assert answers[1][1] == {"error": "이미 처리한 요청이에요. 같은 서명이나 같은 idempotency_key의 요청은 한 번만 처리해요."}


def test_a_signed_body_cannot_be_replayed_against_another_ticket(desk):
    _, first = agent_ticket(desk)
    _, second = agent_ticket(desk)
    now = int(time.time())
    body = {"author": "박지원", "idempotency_key": "close-once"}
    answers = call(desk, [(f"/api/hook/tickets/{first}/close", body, True, now),
                          (f"/api/hook/tickets/{second}/close", body, True, now)])
    assert [status for status, _ in answers] == [200, 409]
    assert (ticket(desk, first).status, ticket(desk, second).status) == ("closed", "queued")


def test_an_idempotency_key_makes_a_retry_signed_later_act_once(desk):
    conversation_id, ticket_id = agent_ticket(desk)
    now = int(time.time())
    body = {"text": "배송 재개됐어요.", "author": "박지원", "idempotency_key": "reply-42"}
    answers = call(desk, [(f"/api/hook/tickets/{ticket_id}/reply", body, True, now - 100),
                          (f"/api/hook/tickets/{ticket_id}/reply", body, True, now)])
    assert [status for status, _ in answers] == [200, 409]
    assert [m["text"] for m in desk.chat.messages_after(conversation_id)].count("배송 재개됐어요.") == 1


@pytest.mark.parametrize("raw", [b'["reply"]', b'"reply"', b"42", b"null", b"true"])
def test_a_signed_body_that_is_not_an_object_is_a_400(desk, raw):
    conversation_id, ticket_id = agent_ticket(desk)
    before = desk.chat.messages_after(conversation_id)
    assert call(desk, [(f"/api/hook/tickets/{ticket_id}/reply", raw, True)]) == [
        (400, {"error": "요청 형식이 올바르지 않아요."})]
    assert desk.chat.messages_after(conversation_id) == before


@pytest.mark.parametrize("key", [7, "", " ", "k" * 201, ["a"]])
def test_an_unusable_idempotency_key_is_a_400(desk, key):
    _, ticket_id = agent_ticket(desk)
    assert call(desk, [(f"/api/hook/tickets/{ticket_id}/reply", {"text": "안녕하세요", "idempotency_key": key}, True)]) \
        == [(400, {"error": "idempotency_key는 200자 이내의 문자열이어야 해요."})]
