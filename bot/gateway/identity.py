"""Customer identity for a real shop: a token the shop's backend signs for its logged-in customer.

The shop and the gateway share a secret (IDENTITY_SECRET). For each page view of a logged-in
customer the shop's backend signs that customer's id and an expiry (Unix seconds):

    token = f"{customer_id}.{expires}.{hex(HMAC-SHA256(secret, f'{customer_id}.{expires}'))}"

and puts it in the page; the widget passes it to `POST /api/identify`, and the gateway checks
it here (constant-time comparison, expiry, a bounded lifetime) before it binds a conversation
to that customer. The browser cannot forge one: it never sees the secret. This is the scheme of
Chatwoot's `identifier_hash` and Intercom's identity verification, with an expiry added so that
a token copied out of a page stops working minutes later.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Optional

MAX_LIFETIME = 24 * 3600  # seconds; shops should sign for minutes (the README uses 10)
MAX_CUSTOMER_ID = 2 ** 31 - 1  # the customers table's INTEGER id
TOKEN = re.compile(r"([1-9][0-9]{0,9})\.([0-9]{1,12})\.([0-9a-f]{64})")


class IdentityError(Exception):
    """The token does not identify anyone; the message is for the customer (Korean)."""


def signature(secret: str, customer_id: int, expires: int) -> str:
    return hmac.new(secret.encode(), f"{customer_id}.{expires}".encode(), hashlib.sha256).hexdigest()


def sign(secret: str, customer_id: int, expires: int) -> str:
    """What the shop's backend does (the README shows the same in a few lines of its own)."""
    return f"{customer_id}.{expires}.{signature(secret, customer_id, expires)}"


def verify(secret: str, token: object, now: Optional[float] = None) -> int:
    """The customer id a valid token names; IdentityError otherwise."""
    if not secret:
        raise IdentityError("이 쇼핑몰은 회원 확인을 사용하지 않아요. 비회원으로 상담해 주세요.")
    match = TOKEN.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        raise IdentityError("회원 정보를 확인할 수 없어요. 페이지를 새로고침해 주세요.")
    customer_id, expires, mac = int(match.group(1)), int(match.group(2)), match.group(3)
    if not hmac.compare_digest(signature(secret, customer_id, expires), mac):
        raise IdentityError("회원 정보를 확인할 수 없어요. 페이지를 새로고침해 주세요.")
    if customer_id > MAX_CUSTOMER_ID:
        raise IdentityError("회원 정보를 확인할 수 없어요. 페이지를 새로고침해 주세요.")
    now = time.time() if now is None else now
    if expires <= now:
        raise IdentityError("회원 확인 시간이 지났어요. 페이지를 새로고침해 주세요.")
    if expires > now + MAX_LIFETIME:
        raise IdentityError("회원 확인 정보의 유효 기간이 너무 길어요. 쇼핑몰에 문의해 주세요.")
    return customer_id
