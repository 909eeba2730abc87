"""Inbound API for an external help desk that receives handoffs through the webhook hook.

Requests are signed like the outgoing webhook (bot.handoff.hooks.sign) with the shared
secret; the desk acts as one staff account, `helpdesk`, with the author name it sends.
The desk's NotFound/Forbidden/Refused become HTTP statuses in bot.gateway.web.register_errors.
"""
from __future__ import annotations

import secrets

from sanic import Request, Sanic, response
from sqlalchemy import select

from bot.config import Settings
from bot.db import session_scope
from bot.gateway.passwords import hash_password
from bot.gateway.web import error, parse_json
from bot.handoff.desk import Desk
from bot.handoff.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from bot.handoff.models import StaffUser
from bot.handoff.payload import StaffIdentity

HELPDESK = "helpdesk"


def helpdesk_user(url: str, author: str) -> StaffIdentity:
    with session_scope(url) as session:
        user = session.execute(select(StaffUser).where(StaffUser.username == HELPDESK)).scalar()
        if user is None:  # an account nobody can log into: its password is thrown away
            user = StaffUser(username=HELPDESK, password_hash=hash_password(secrets.token_urlsafe(32)),
                             display_name="외부 헬프데스크", role="agent")
            session.add(user)
            session.flush()
        return {"id": user.id, "username": HELPDESK, "role": "agent", "seller_id": None,
                "display_name": (author or "상담원")[:40]}


def register(app: Sanic, settings: Settings, desk: Desk) -> None:
    async def guarded(request: Request, act):
        if not verify(settings.webhook_secret, request.headers.get(TIMESTAMP_HEADER), request.body or b"",
                      request.headers.get(SIGNATURE_HEADER)):
            return error(401, "서명이 올바르지 않아요.")
        body = parse_json(request.body)
        user = helpdesk_user(settings.database_url, str(body.get("author") or ""))
        return response.json(await act(user, body))

    @app.post("/api/hook/tickets/<ticket_id:int>/reply")
    async def hook_reply(request: Request, ticket_id: int):
        async def act(user, body):
            return {"message": desk.reply(ticket_id, user, body.get("text"))}
        return await guarded(request, act)

    @app.post("/api/hook/tickets/<ticket_id:int>/handback")
    async def hook_handback(request: Request, ticket_id: int):
        async def act(user, body):
            return {"ticket": await desk.hand_back(ticket_id, user)}
        return await guarded(request, act)

    @app.post("/api/hook/tickets/<ticket_id:int>/close")
    async def hook_close(request: Request, ticket_id: int):
        async def act(user, body):
            return {"ticket": await desk.close(ticket_id, user)}
        return await guarded(request, act)
