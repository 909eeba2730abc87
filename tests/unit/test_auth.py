"""Who is calling (bot.gateway.auth): the signed conversation cookie and staff bearer tokens,
on a real migrated database."""
from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import db as bot_db
from bot.gateway import auth
from bot.gateway.models import StaffSession
from bot.limits import RateLimit
from bot.gateway.passwords import hash_password
from bot.handoff.models import StaffUser

SECRET = "test-secret"


def login(url, username, password, hours=8, client="client-0", now=None):
    return asyncio.run(auth.staff_login(url, username, password, hours, client=client, now=now))


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
    token, user = login(db_url, "agent9", "pw-9", hours=8)
    assert user == {"id": agent, "username": "agent9", "display_name": "한상담", "role": "agent", "seller_id": None}
    assert auth.staff_user(db_url, token) == user
    with bot_db.session_scope(db_url) as s:
        row = s.get(StaffSession, auth._token_hash(token))
        assert row.user_id == agent and row.expires_at - row.created_at == timedelta(hours=8)
        assert s.execute(select(StaffSession).where(StaffSession.token_hash == token)).first() is None, \
            "only the hash of the token is stored"


@pytest.mark.parametrize("username, password", [("agent9", "wrong"), ("nobody", "pw-9"), ("agent9", "")])
def test_bad_credentials_give_nothing(db_url, agent, username, password):
    assert login(db_url, username, password, hours=8) is None


def test_unknown_and_missing_tokens_are_nobody(db_url, agent):
    assert auth.staff_user(db_url, None) is None
    assert auth.staff_user(db_url, "") is None
    assert auth.staff_user(db_url, "not-a-token") is None


def test_an_expired_session_is_nobody_and_is_swept_at_the_next_login(db_url, agent):
    token, _ = login(db_url, "agent9", "pw-9", hours=8)
    with bot_db.session_scope(db_url) as s:
        row = s.get(StaffSession, auth._token_hash(token))
        row.expires_at = bot_db.utcnow() - timedelta(seconds=1)
    assert auth.staff_user(db_url, token) is None
    login(db_url, "agent9", "pw-9", hours=8)
    with bot_db.session_scope(db_url) as s:
        assert s.get(StaffSession, auth._token_hash(token)) is None


def test_logout_ends_the_session(db_url, agent):
    token, _ = login(db_url, "agent9", "pw-9", hours=8)
    auth.staff_logout(db_url, token)
    assert auth.staff_user(db_url, token) is None



# --------------------------------------------------------------------------- lockout


@pytest.fixture
def fresh_limits(db_url):
    with bot_db.session_scope(db_url) as s:
        s.query(RateLimit).delete()
    yield
    with bot_db.session_scope(db_url) as s:
        s.query(RateLimit).delete()


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(db_url, agent, fresh_limits):
    now = bot_db.utcnow()
    answers = [login(db_url, "agent9", f"guess-{n}", now=now) for n in range(5)]
    print(f"login guesses: {len(answers)}, refused with a lock from guess {answers.index(answers[-1]) + 1}")
    assert answers[:4] == [None] * 4
    assert answers[4] == auth.Locked(now + timedelta(minutes=15))
    assert login(db_url, "agent9", "pw-9", now=now) == auth.Locked(now + timedelta(minutes=15))
    assert login(db_url, "agent9", "pw-9", client="elsewhere", now=now) == auth.Locked(now + timedelta(minutes=15))
    assert auth.Locked(now + timedelta(minutes=15)).retry_after(now) == 900
    token, user = login(db_url, "agent9", "pw-9", now=now + timedelta(minutes=15))
    assert user["username"] == "agent9"


def test_one_client_guessing_many_accounts_is_locked_out(db_url, agent, fresh_limits):
    now = bot_db.utcnow()
    answers = [login(db_url, f"user{n}", "guess", client="client-9", now=now) for n in range(20)]
    assert answers[:19] == [None] * 19 and isinstance(answers[19], auth.Locked)
    assert isinstance(login(db_url, "agent9", "pw-9", client="client-9", now=now), auth.Locked)
    assert login(db_url, "agent9", "pw-9", client="client-8", now=now)[1]["username"] == "agent9"


def test_the_lockout_is_kept_in_the_database(db_url, agent, fresh_limits):
    now = bot_db.utcnow()
    for n in range(5):
        login(db_url, "Agent9 ", f"guess-{n}", now=now)  # the account's key ignores case and spaces
    with bot_db.session_scope(db_url) as s:  # what a restarted gateway reads
        locks = {r.key.split(":")[1]: r.locked_until for r in s.query(RateLimit).filter(RateLimit.locked_until.isnot(None))}
    assert locks == {"account": now + timedelta(minutes=15)}
    assert isinstance(login(db_url, "agent9", "pw-9", now=now), auth.Locked)


def test_a_success_clears_the_accounts_count(db_url, agent, fresh_limits):
    now = bot_db.utcnow()
    for n in range(4):
        login(db_url, "agent9", f"guess-{n}", now=now)
    assert login(db_url, "agent9", "pw-9", now=now)[1]["username"] == "agent9"
    assert [login(db_url, "agent9", f"again-{n}", now=now) for n in range(4)] == [None] * 4


def test_password_hashing_runs_off_the_event_loop(db_url, agent, fresh_limits, monkeypatch):
    threads = []
    real = auth.verify_password

    def spy(password, stored):
        threads.append(threading.current_thread().name)
        return real(password, stored)

    monkeypatch.setattr(auth, "verify_password", spy)
    loop_thread = threading.current_thread().name  # asyncio.run runs the loop in this thread
    login(db_url, "agent9", "pw-9")
    login(db_url, "agent9", "wrong")
    assert len(threads) == 2 and loop_thread not in threads and all(t.startswith("scrypt") for t in threads)


def test_the_client_key_is_an_opaque_stable_hmac():
    key = auth.client_key(SECRET, "203.0.113.7")
    assert key == auth.client_key(SECRET, "203.0.113.7") != auth.client_key(SECRET, "203.0.113.8")
    assert key != auth.client_key("other-secret", "203.0.113.7") and "203" not in key and len(key) == 32
