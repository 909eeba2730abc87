"""Who is calling (bot.gateway.auth): the signed conversation cookie and staff bearer tokens,
on a real migrated database."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import db as bot_db
from bot.gateway import auth
from bot.gateway.models import StaffSession
from bot.gateway.passwords import hash_password
from bot.handoff.models import StaffUser

SECRET = "test-secret"


def test_a_signed_conversation_cookie_names_its_conversation():
    cookie = auth.sign_conversation(SECRET, "abc123")
    assert cookie.startswith("abc123.")
    assert auth.conversation_from_cookie(SECRET, cookie) == "abc123"


@pytest.mark.parametrize("cookie", [
    None, "", "abc123", "abc123.0000", "other." + auth.sign_conversation(SECRET, "abc123").split(".")[1],
])
def test_a_missing_or_forged_cookie_names_nothing(cookie):
    assert auth.conversation_from_cookie(SECRET, cookie) is None


def test_a_cookie_signed_with_another_secret_names_nothing():
    assert auth.conversation_from_cookie(SECRET, auth.sign_conversation("other-secret", "abc123")) is None


@pytest.mark.parametrize("header, token", [
    ("Bearer tok", "tok"), ("bearer  tok ", "tok"), ("Bearer ", None), ("Basic tok", None), (None, None),
])
def test_bearer(header, token):
    assert auth.bearer(header) == token


@pytest.fixture(scope="module")
def agent(db_url):
    with bot_db.session_scope(db_url) as s:
        user = StaffUser(username="agent9", password_hash=hash_password("pw-9"), display_name="한상담",
                         role="agent")
        s.add(user)
        s.flush()
        return user.id


def test_good_credentials_give_a_token_and_the_staff_identity(db_url, agent):
    token, user = auth.staff_login(db_url, "agent9", "pw-9", hours=8)
    assert user == {"id": agent, "username": "agent9", "display_name": "한상담", "role": "agent", "seller_id": None}
    assert auth.staff_user(db_url, token) == user
    with bot_db.session_scope(db_url) as s:
        row = s.get(StaffSession, auth._token_hash(token))
        assert row.user_id == agent and row.expires_at - row.created_at == timedelta(hours=8)
        assert s.execute(select(StaffSession).where(StaffSession.token_hash == token)).first() is None, \
            "only the hash of the token is stored"


@pytest.mark.parametrize("username, password", [("agent9", "wrong"), ("nobody", "pw-9"), ("agent9", "")])
def test_bad_credentials_give_nothing(db_url, agent, username, password):
    assert auth.staff_login(db_url, username, password, hours=8) is None


def test_unknown_and_missing_tokens_are_nobody(db_url, agent):
    assert auth.staff_user(db_url, None) is None
    assert auth.staff_user(db_url, "") is None
    assert auth.staff_user(db_url, "not-a-token") is None


def test_an_expired_session_is_nobody_and_is_swept_at_the_next_login(db_url, agent):
    token, _ = auth.staff_login(db_url, "agent9", "pw-9", hours=8)
    with bot_db.session_scope(db_url) as s:
        row = s.get(StaffSession, auth._token_hash(token))
        row.expires_at = bot_db.utcnow() - timedelta(seconds=1)
    assert auth.staff_user(db_url, token) is None
    auth.staff_login(db_url, "agent9", "pw-9", hours=8)
    with bot_db.session_scope(db_url) as s:
        assert s.get(StaffSession, auth._token_hash(token)) is None


def test_logout_ends_the_session(db_url, agent):
    token, _ = auth.staff_login(db_url, "agent9", "pw-9", hours=8)
    auth.staff_logout(db_url, token)
    assert auth.staff_user(db_url, token) is None
