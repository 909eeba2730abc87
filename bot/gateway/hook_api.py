"""Inbound API for an external help desk that receives handoffs through the webhook hook.

Requests are signed like the outgoing webhook (bot.handoff.hooks.sign) with the shared
secret; the desk acts as one staff account, `helpdesk`, with the author name it sends.
"""
from __future__ import annotations

import json
import secrets

from sanic import Request, Sanic, response
from sqlalchemy import select

from bot.config import Settings
from bot.db import session_scope
from bot.gateway.passwords import hash_password
from bot.handoff.desk import Desk, Forbidden, NotFound, Refused
from bot.handoff.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from bot.handoff.models import StaffUser

HELPDESK = "helpdesk"


def helpdesk_user(url: str, author: str) -> dict:
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
    async def guarded(request: Request, ticket_id: int, act):
        if not verify(settings.webhook_secret, request.headers.get(TIMESTAMP_HEADER), request.body or b"",
                      request.headers.get(SIGNATURE_HEADER)):
            return response.json({"error": "서명이 올바르지 않아요."}, status=401)
        try:
            body = json.loads(request.body or b"{}")
            user = helpdesk_user(settings.database_url, str(body.get("author") or ""))
            return response.json(await act(user, body))
        except ValueError:
            return response.json({"error": "요청 형식이 올바르지 않아요."}, status=400)
        except NotFound as exc:
            return response.json({"error": str(exc)}, status=404)
        except Forbidden as exc:
            return response.json({"error": str(exc)}, status=403)
        except Refused as exc:
            return response.json({"error": str(exc)}, status=409)

    @app.post("/api/hook/tickets/<ticket_id:int>/reply")
    async def hook_reply(request: Request, ticket_id: int):
        async def act(user, body):
            return {"message": desk.reply(ticket_id, user, body.get("text"))}
        return await guarded(request, ticket_id, act)

    @app.post("/api/hook/tickets/<ticket_id:int>/handback")
    async def hook_handback(request: Request, ticket_id: int):
        async def act(user, body):
            return {"ticket": await desk.hand_back(ticket_id, user)}
        return await guarded(request, ticket_id, act)

    @app.post("/api/hook/tickets/<ticket_id:int>/close")
    async def hook_close(request: Request, ticket_id: int):
        async def act(user, body):
            return {"ticket": await desk.close(ticket_id, user)}
        return await guarded(request, ticket_id, act)
