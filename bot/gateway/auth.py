"""Who is calling: customers by a signed conversation cookie, staff by bearer tokens.

The customer cookie holds the conversation id and an HMAC of it; the conversation row
says which customer (if any) it belongs to. The demo login stands in for the shop's
own login, which would hand the gateway a signed customer token in the same way.
Staff tokens are random; only their SHA-256 is stored, with an expiry.

Staff login failures are counted per account and per client address in the database
(bot.limits), so a restart does not reset them; a locked account or client is refused
before any password is checked, the right password included. Password hashing (scrypt,
tens of milliseconds of CPU) runs in a small thread pool, never on the event loop.

A client is known by `client_key`: an HMAC of its address with the gateway secret, so the
address itself is stored nowhere.
"""
from __future__ import annotations

import hashlib
import hmac
import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Tuple, Union

from sqlalchemy import delete, select

from bot import limits
from bot.db import session_scope, utcnow
from bot.limits import Rule
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


LOGIN_RULES = {
    "account": Rule(limit=5, window=timedelta(minutes=15), lock=timedelta(minutes=15)),
    "client": Rule(limit=20, window=timedelta(minutes=15), lock=timedelta(minutes=15)),
}
LOCKED_TEXT = "로그인 시도가 너무 많아 잠시 막아 두었어요. {minutes}분 뒤({until} 이후)에 다시 시도해 주세요."
_UNKNOWN_USER_HASH = "scrypt$16384$8$1$AAAA$AAAA"  # same work for unknown users
_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scrypt")


def client_key(secret: str, address: Optional[str]) -> str:
    """The client's address as an opaque, stable key (HMAC-SHA256 with the gateway secret)."""
    return hmac.new(secret.encode(), (address or "unknown").encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Locked:
    """Login refused without checking the password, until `until` (naive UTC)."""

    until: datetime

    def retry_after(self, now: datetime) -> int:
        return max(1, int((self.until - now).total_seconds() + 0.999))


def _login_keys(username: str, client: str) -> dict:
    account = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]
    return {f"login:account:{account}": LOGIN_RULES["account"], f"login:client:{client}": LOGIN_RULES["client"]}


async def staff_login(url: str, username: str, password: str, hours: int, client: str = "",
                      now: Optional[datetime] = None) -> Union[Tuple[str, StaffIdentity], Locked, None]:
    """(token, user) for good credentials; `Locked` while the account or the client is locked
    out; else None (the same answer for unknown users and wrong passwords)."""
    now = now or utcnow()
    keys = _login_keys(username, client)
    with session_scope(url) as session:
        until = limits.locked_until(session, keys, now)
        user = session.execute(select(StaffUser).where(StaffUser.username == username)).scalar()
        stored = user.password_hash if user else _UNKNOWN_USER_HASH
    if until is not None:
        return Locked(until)
    loop = asyncio.get_running_loop()
    good = await loop.run_in_executor(_HASHING, verify_password, password, stored) and user is not None
    with session_scope(url) as session:
        until = limits.locked_until(session, keys, now, for_update=True)  # locked meanwhile by a parallel guess
        if until is not None:
            return Locked(until)
        if not good:
            until = limits.record_failure(session, keys, now)
            return Locked(until) if until is not None else None
        limits.reset(session, next(iter(keys)), now)  # the account's count; the client's stays
        token = secrets.token_urlsafe(32)
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
