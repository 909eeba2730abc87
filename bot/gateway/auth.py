"""Who is calling: customers by a signed conversation cookie, staff by bearer tokens.

The customer cookie holds the conversation id and an HMAC of it; the conversation row
says which customer (if any) it belongs to. The demo login stands in for the shop's
own login, which would hand the gateway a signed customer token in the same way.
Staff tokens are random; only their SHA-256 is stored, with an expiry.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Optional, Tuple

from sqlalchemy import delete, select

from bot.db import session_scope, utcnow
from bot.gateway.models import StaffSession
from bot.gateway.passwords import verify_password
from bot.handoff.models import StaffUser
from bot.handoff.payload import StaffIdentity

COOKIE = "modu_chat"


def sign_conversation(secret: str, conversation_id: str) -> str:
    mac = hmac.new(secret.encode(), conversation_id.encode(), hashlib.sha256).hexdigest()
    return f"{conversation_id}.{mac}"


def conversation_from_cookie(secret: str, cookie: Optional[str]) -> Optional[str]:
    if not cookie or "." not in cookie:
        return None
    conversation_id, _ = cookie.rsplit(".", 1)
    return conversation_id if hmac.compare_digest(sign_conversation(secret, conversation_id), cookie) else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_dict(user: StaffUser) -> StaffIdentity:
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "role": user.role, "seller_id": user.seller_id}


def staff_login(url: str, username: str, password: str, hours: int) -> Optional[Tuple[str, StaffIdentity]]:
    """(token, user) for good credentials, else None (same answer for unknown users)."""
    with session_scope(url) as session:
        user = session.execute(select(StaffUser).where(StaffUser.username == username)).scalar()
        stored = user.password_hash if user else "scrypt$16384$8$1$AAAA$AAAA"  # same work either way
        if not verify_password(password, stored) or user is None:
            return None
        token = secrets.token_urlsafe(32)
        now = utcnow()
        session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
        session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                                 expires_at=now + timedelta(hours=hours)))
        return token, user_dict(user)


def staff_user(url: str, token: Optional[str]) -> Optional[StaffIdentity]:
    if not token:
        return None
    with session_scope(url) as session:
        row = session.get(StaffSession, _token_hash(token))
        if row is None or row.expires_at < utcnow():
            return None
        return user_dict(session.get(StaffUser, row.user_id))


def staff_logout(url: str, token: str) -> None:
    with session_scope(url) as session:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def bearer(header: Optional[str]) -> Optional[str]:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None
