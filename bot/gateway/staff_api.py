"""The staff side of the gateway: the agent/seller console API and its websocket.

Staff sign in for a bearer token (bot.gateway.auth); every route receives the signed-in
`StaffIdentity` and calls one desk function. The desk's NotFound/Forbidden/Refused become
HTTP statuses in bot.gateway.web.register_errors.
"""
from __future__ import annotations

import asyncio
import json
from typing import Optional

from sanic import Request, Sanic, response

from bot.clock import to_kst
from bot.config import Settings
from bot.conversation.service import STAFF_CHANNEL
from bot.db import utcnow
from bot.gateway import auth
from bot.gateway.web import error, json_body, pump
from bot.handoff.desk import Desk, Refused
from bot.handoff.payload import StaffIdentity

CANNED = [
    {"title": "첫인사", "text": "안녕하세요, 모두의마켓 상담원입니다. 문의하신 내용 확인하고 있어요. 잠시만 기다려 주세요."},
    {"title": "확인 중", "text": "주문 내역을 확인하고 있어요. 1~2분만 기다려 주세요."},
    {"title": "판매자 확인", "text": "판매자에게 확인 후 이 채팅으로 다시 안내드릴게요."},
    {"title": "마무리", "text": "더 궁금한 점이 있으시면 챗봇에게 물어봐 주세요. 상담을 종료할게요. 감사합니다."},
]


def register(app: Sanic, settings: Settings, desk: Desk) -> None:
    url = settings.database_url

    def staff(request: Request) -> Optional[StaffIdentity]:
        return auth.staff_user(url, auth.bearer(request.headers.get("authorization")))

    def staff_route(handler):
        async def wrapped(request: Request, *args, **kwargs):
            user = staff(request)
            if user is None:
                return error(401, "로그인이 필요해요.")
            return await handler(request, user, *args, **kwargs)
        wrapped.__name__ = handler.__name__
        return wrapped

    @app.post("/api/staff/login")
    async def staff_login(request: Request):
        body = json_body(request)
        now = utcnow()
        client = auth.client_key(settings.secret_key, request.remote_addr or request.ip)
        result = await auth.staff_login(url, str(body.get("username", "")), str(body.get("password", "")),
                                        settings.staff_session_hours, client=client, now=now)
        if isinstance(result, auth.Locked):
            text = auth.LOCKED_TEXT.format(minutes=-(-result.retry_after(now) // 60),
                                           until=f"{to_kst(result.until):%H:%M}")
            return response.json({"error": text, "retry_after": result.retry_after(now)}, status=429,
                                 headers={"Retry-After": str(result.retry_after(now))})
        if result is None:
            await asyncio.sleep(0.3)  # slows guessing a little more, without holding the event loop
            return error(401, "아이디 또는 비밀번호가 올바르지 않아요.")
        token, user = result
        return response.json({"token": token, "user": user})

    @app.post("/api/staff/logout")
    @staff_route
    async def staff_logout(request: Request, user: StaffIdentity):
        auth.staff_logout(url, auth.bearer(request.headers.get("authorization")))
        return response.json({"ok": True})

    @app.get("/api/staff/me")
    @staff_route
    async def staff_me(request: Request, user: StaffIdentity):
        return response.json({"user": user})

    @app.get("/api/staff/canned")
    @staff_route
    async def canned(request: Request, user: StaffIdentity):
        return response.json({"canned": CANNED})

    @app.get("/api/staff/tickets")
    @staff_route
    async def tickets(request: Request, user: StaffIdentity):
        return response.json({"tickets": desk.list_tickets(user, request.args.get("status", "queued"))})

    @app.get("/api/staff/tickets/<ticket_id:int>")
    @staff_route
    async def ticket(request: Request, user: StaffIdentity, ticket_id: int):
        return response.json(desk.ticket_detail(ticket_id, user))

    @app.post("/api/staff/tickets/<ticket_id:int>/claim")
    @staff_route
    async def claim(request: Request, user: StaffIdentity, ticket_id: int):
        return response.json({"ticket": desk.claim(ticket_id, user)})

    @app.post("/api/staff/tickets/<ticket_id:int>/reply")
    @staff_route
    async def reply(request: Request, user: StaffIdentity, ticket_id: int):
        return response.json({"message": desk.reply(ticket_id, user, json_body(request).get("text"))})

    @app.post("/api/staff/tickets/<ticket_id:int>/note")
    @staff_route
    async def note(request: Request, user: StaffIdentity, ticket_id: int):
        return response.json({"note": desk.note(ticket_id, user, json_body(request).get("text"))})

    @app.post("/api/staff/tickets/<ticket_id:int>/handback")
    @staff_route
    async def handback(request: Request, user: StaffIdentity, ticket_id: int):
        return response.json({"ticket": await desk.hand_back(ticket_id, user)})

    @app.post("/api/staff/tickets/<ticket_id:int>/close")
    @staff_route
    async def close(request: Request, user: StaffIdentity, ticket_id: int):
        return response.json({"ticket": await desk.close(ticket_id, user)})

    @app.post("/api/staff/tickets/<ticket_id:int>/decision")
    @staff_route
    async def decision(request: Request, user: StaffIdentity, ticket_id: int):
        approve = json_body(request).get("approve")
        if not isinstance(approve, bool):
            raise Refused("승인 여부를 선택해 주세요.")
        return response.json({"ticket": desk.decide(ticket_id, user, approve)})

    @app.websocket("/ws/staff")
    async def staff_socket(request: Request, ws):
        user = auth.staff_user(url, request.args.get("token"))
        if user is None:
            await ws.close(code=4401, reason="unauthorized")
            return
        queue = desk.chat.broker.subscribe(STAFF_CHANNEL)
        try:
            await ws.send(json.dumps({"type": "hello", "user": user}, ensure_ascii=False))
            await pump(ws, queue, 0, lambda event: desk.staff_frames(user, event))
        finally:
            desk.chat.broker.unsubscribe(STAFF_CHANNEL, queue)
