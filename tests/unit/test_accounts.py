"""bot.gateway.accounts and `python -m bot staff`: a real deployment's staff accounts (a production
start adds no demo account: tests/unit/test_cli.py)."""
from __future__ import annotations

import io

import pytest

from bot import cli
from bot.db import session_scope
from bot.gateway.accounts import StaffAccountError, add_staff, set_password, staff_count
from bot.shop.models import Seller
from tests.fixtures import staff_login_now as login

GOOD = "dal-bit-2026!"


def test_an_added_agent_logs_in_with_its_password_only(new_db_url):
    url = new_db_url()
    with session_scope(url) as s:
        add_staff(s, "kim.haneul", "agent", " 김하늘 ", GOOD)
    token, user = login(url, "kim.haneul", GOOD)
    assert token and user["username"] == "kim.haneul" and user["role"] == "agent"
    assert user["display_name"] == "김하늘" and user["seller_id"] is None
    assert login(url, "kim.haneul", "agent1234") is None


def test_a_sellers_account_belongs_to_an_existing_seller(new_db_url):
    url = new_db_url()
    with session_scope(url) as s:
        seller = Seller(name="포근니트", contact_phone="02-000-0000", return_shipping_fee=3000)
        s.add(seller)
        s.flush()
        add_staff(s, "knit.kim", "seller", "포근니트 김", GOOD, seller_id=seller.id)
        seller_id = seller.id
        for args, why in [
            (("knit.lee", "seller", "포근니트 이", GOOD), "needs --seller-id"),
            (("knit.lee", "seller", "포근니트 이", GOOD, seller_id + 99), f"no seller {seller_id + 99}"),
            (("agent.lee", "agent", "이도윤", GOOD, seller_id), "only a seller's account has a seller"),
        ]:
            with pytest.raises(StaffAccountError, match=why):
                add_staff(s, *args)
    assert login(url, "knit.kim", GOOD)[1]["seller_id"] == seller_id


@pytest.mark.parametrize("username, role, name, password, why", [
    ("kim.haneul", "agent", "김하늘", "short1!", "at least 10 characters"),
    ("kim.haneul", "agent", "김하늘", "KIM.HANEUL-2026", "must not contain the username"),
    ("Kim Haneul", "agent", "김하늘", GOOD, "a username is 3 to 40"),
    ("ab", "agent", "김하늘", GOOD, "a username is 3 to 40"),
    ("helpdesk", "agent", "헬프데스크", GOOD, "reserved"),
    ("kim.haneul", "admin", "김하늘", GOOD, "the role is one of agent, author, seller"),
    ("kim.haneul", "agent", "  ", GOOD, "a display name is needed"),
])
def test_a_bad_account_is_refused_with_the_reason(new_db_url, username, role, name, password, why):
    url = new_db_url()
    with session_scope(url) as s:
        with pytest.raises(StaffAccountError, match=why):
            add_staff(s, username, role, name, password)
        assert staff_count(s) == 0


def test_a_username_is_taken_once_and_a_password_can_be_changed(new_db_url):
    url = new_db_url()
    with session_scope(url) as s:
        add_staff(s, "kim.haneul", "agent", "김하늘", GOOD)
        with pytest.raises(StaffAccountError, match="exists already"):
            add_staff(s, "kim.haneul", "author", "김하늘", GOOD)
        set_password(s, "kim.haneul", "새-비밀번호-2027")
        with pytest.raises(StaffAccountError, match="no account 'nobody'"):
            set_password(s, "nobody", GOOD)
        with pytest.raises(StaffAccountError, match="at least 10"):
            set_password(s, "kim.haneul", "short")
    assert login(url, "kim.haneul", GOOD) is None
    assert login(url, "kim.haneul", "새-비밀번호-2027")[1]["username"] == "kim.haneul"


def test_the_staff_command_adds_and_changes_accounts(new_db_url, monkeypatch, capsys):
    url = new_db_url()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD + "\n"))
    cli.main(["staff", "add", "kim.haneul", "--role", "agent", "--name", "김하늘", "--password-stdin"])
    assert capsys.readouterr().out == "added agent 'kim.haneul' (김하늘)\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(SystemExit, match="at least 10 characters: nothing changed"):
        cli.main(["staff", "password", "kim.haneul", "--password-stdin"])
    typed = iter(["새-비밀번호-2027", "새-비밀번호-2028", "새-비밀번호-2027", "새-비밀번호-2027"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    with pytest.raises(SystemExit, match="the two passwords differ: nothing changed"):
        cli.main(["staff", "password", "kim.haneul"])
    cli.main(["staff", "password", "kim.haneul"])
    assert capsys.readouterr().out == "changed the password of 'kim.haneul'\n"
    assert login(url, "kim.haneul", GOOD) is None
    assert login(url, "kim.haneul", "새-비밀번호-2027")[1]["display_name"] == "김하늘"
