"""Inbound API for an external help desk that receives handoffs through the webhook hook.

Requests are signed like the outgoing webhook (bot.handoff.hooks.sign) with the shared
secret; the desk acts as one staff account, `helpdesk`, with the author name it sends.
The desk's NotFound/Forbidden/Refused become HTTP statuses in bot.gateway.web.register_errors.

Each signed request acts once. Its key, stored (hashed, unique) before it acts, is the
`idempotency_key` of the signed body if the help desk sends one (kept a day: a retry
signed again later is still the same request), else its timestamp and signature (kept
while that signature could pass the timestamp check). The same key again gets 409, on any
path: the signature covers the body, not the path, so a signed body cannot be replayed
against another ticket either. A help desk that may send identical bodies within one
second (two tickets closed at once) sends an idempotency_key.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Optional

from sanic import Request, Sanic, response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.db import session_scope, utcnow
from bot.gateway.models import HookRequest
from bot.gateway.passwords import hash_password
from bot.gateway.web import error, parse_json
from bot.handoff.desk import Desk
from bot.handoff.hooks import MAX_SKEW_SECONDS, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from bot.handoff.models import StaffUser
from bot.handoff.payload import StaffIdentity

HELPDESK = "helpdesk"
REPLAYED = "이미 처리한 요청이에요. 같은 서명이나 같은 idempotency_key의 요청은 한 번만 처리해요."
BAD_KEY = "idempotency_key는 200자 이내의 문자열이어야 해요."
KEY_DAYS = 1


def first_use(url: str, key: str, expires_in: timedelta) -> bool:
    """Store the request's key; False if it was stored already (a replay)."""
    now = utcnow()
    try:
        with session_scope(url) as session:
            session.execute(delete(HookRequest).where(HookRequest.expires_at < now))
            session.add(HookRequest(key_hash=hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest(), expires_at=now + expires_in))
    except IntegrityError:
        return False
    return True


def request_key(body: dict, timestamp: str, signature: str) -> Optional[tuple]:
    """(key, how long to keep it); None for an unusable idempotency_key."""
    given = body.get("idempotency_key")
    if given is None:
        return f"sig:{timestamp}.{signature}", timedelta(seconds=2 * MAX_SKEW_SECONDS + 60)
    if not isinstance(given, str) or not given.strip() or len(given) > 200:
        return None
    return f"key:{given}", timedelta(days=KEY_DAYS)


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
        body = parse_json(request.body)  # a JSON array, string or number: 400
        key = request_key(body, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER))
        if key is None:
            return error(400, BAD_KEY)
        if not first_use(settings.database_url, *key):
            return error(409, REPLAYED)
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
