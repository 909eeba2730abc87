"""The shop's signed customer token (bot.gateway.identity): what verifies and what does not."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.gateway.identity import MAX_LIFETIME, IdentityError, sign, verify

SECRET = "shop-shared-secret"
NOW = 1_790_000_000  # a fixed Unix time


def shop_snippet(secret: str, customer_id: int, expires: int) -> str:
    """The README's shop-side code, word for word in substance: what a shop would write."""
    message = f"{customer_id}.{expires}"
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return f"{message}.{signature}"


def test_a_token_the_shop_signed_names_its_customer():
    token = shop_snippet(SECRET, 42, NOW + 600)
    assert token == sign(SECRET, 42, NOW + 600)
    assert verify(SECRET, token, now=NOW) == 42
    assert verify(SECRET, token, now=NOW + 599) == 42


FORGED = "회원 정보를 확인할 수 없어요. 페이지를 새로고침해 주세요."


def other_customer(token: str) -> str:
    """Customer 42's signature under customer 43's id."""
    customer_id, expires, mac = token.split(".")
    return f"43.{expires}.{mac}"


@pytest.mark.parametrize("make, message", [
    (lambda: sign("another-secret", 42, NOW + 600), FORGED),               # signed with a guessed secret
    (lambda: other_customer(sign(SECRET, 42, NOW + 600)), FORGED),          # someone else's id
    (lambda: sign(SECRET, 42, NOW + 600).replace(f".{NOW + 600}.", f".{NOW + 6000}."), FORGED),  # later expiry
    (lambda: sign(SECRET, 42, NOW + 600)[:-1] + "0", FORGED),               # one hex digit changed
    (lambda: sign(SECRET, 42, NOW + 600).upper(), FORGED),
    (lambda: "42", FORGED),
    (lambda: "", FORGED),
    (lambda: 42, FORGED),
    (lambda: None, FORGED),
    (lambda: {"customer_id": 42}, FORGED),
    (lambda: " " + sign(SECRET, 42, NOW + 600), FORGED),
    (lambda: sign(SECRET, 0, NOW + 600), FORGED),
    (lambda: sign(SECRET, -1, NOW + 600), FORGED),
    (lambda: sign(SECRET, 10 ** 20, NOW + 600), FORGED),
    (lambda: sign(SECRET, 2 ** 31, NOW + 600), FORGED),
    (lambda: sign(SECRET, 42, NOW), "회원 확인 시간이 지났어요. 페이지를 새로고침해 주세요."),
    (lambda: sign(SECRET, 42, NOW - 1), "회원 확인 시간이 지났어요. 페이지를 새로고침해 주세요."),
    (lambda: sign(SECRET, 42, NOW + MAX_LIFETIME + 1),
     "회원 확인 정보의 유효 기간이 너무 길어요. 쇼핑몰에 문의해 주세요."),
])
def test_forged_expired_and_malformed_tokens_name_nobody(make, message):
    with pytest.raises(IdentityError) as caught:
        verify(SECRET, make(), now=NOW)
    assert str(caught.value) == message


def test_a_token_replayed_after_its_expiry_is_refused():
    token = sign(SECRET, 42, NOW + 600)
    assert verify(SECRET, token, now=NOW + 1) == 42
    with pytest.raises(IdentityError, match="시간이 지났어요"):
        verify(SECRET, token, now=NOW + 600)


def test_without_a_shared_secret_nobody_is_identified():
    with pytest.raises(IdentityError, match="회원 확인을 사용하지 않아요"):
        verify("", sign("", 42, NOW + 600), now=NOW)


def test_the_signature_is_compared_in_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    with pytest.raises(IdentityError):
        verify(SECRET, sign("guess", 42, NOW + 600), now=NOW)
    assert len(calls) == 1
