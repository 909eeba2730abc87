"""The demo (bot.demo): the seeded shop plus the console's staff accounts and their passwords."""
from __future__ import annotations

from types import SimpleNamespace

from bot import demo
from bot.db import session_scope
from bot.handoff.models import StaffUser
from bot.gateway.passwords import verify_password
from bot.shop.models import Seller
from bot.shop.seed import seed as seed_shop
from tests.fixtures import TEST_NOW as NOW


def test_staff_accounts(session, seeded_db):
    staff = {u.username: u for u in session.query(StaffUser)}
    assert set(staff) == {"agent1", "agent2", "author1", "seller1", "seller2", "seller3", "seller4"}
    assert (staff["author1"].role, staff["author1"].seller_id) == ("author", None)
    assert verify_password("author1234", staff["author1"].password_hash)
    assert (staff["agent1"].display_name, staff["agent2"].display_name) == ("김하늘", "이도윤")
    for name in ("agent1", "agent2"):
        assert staff[name].role == "agent" and staff[name].seller_id is None
        assert verify_password("agent1234", staff[name].password_hash)
        assert not verify_password("seller1234", staff[name].password_hash)
    sellers = session.query(Seller).order_by(Seller.id).all()
    for i, seller in enumerate(sellers, start=1):
        user = staff[f"seller{i}"]
        assert (user.role, user.seller_id, user.display_name) == ("seller", seller.id, seller.name)
        assert verify_password("seller1234", user.password_hash)
    assert {(a["username"], a["password"], a["role"], a["display_name"]) for a in seeded_db["staff"]} == {
        (u.username, {"agent": "agent1234", "author": "author1234"}.get(u.role, "seller1234"), u.role, u.display_name)
        for u in staff.values()
    }



def test_staff_accounts_two_agents_then_one_per_seller():
    sellers = [SimpleNamespace(id=7, name="달빛공방"), SimpleNamespace(id=9, name="초록농원")]
    assert demo.staff_accounts(sellers) == [
        {"username": "agent1", "password": "agent1234", "role": "agent", "display_name": "김하늘", "seller_id": None},
        {"username": "agent2", "password": "agent1234", "role": "agent", "display_name": "이도윤", "seller_id": None},
        {"username": "author1", "password": "author1234", "role": "author", "display_name": "정시나", "seller_id": None},
        {"username": "seller1", "password": "seller1234", "role": "seller", "display_name": "달빛공방", "seller_id": 7},
        {"username": "seller2", "password": "seller1234", "role": "seller", "display_name": "초록농원", "seller_id": 9},
    ]


def test_the_shop_seed_alone_adds_no_staff(new_db_url):
    url = new_db_url()
    with session_scope(url) as s:
        summary = seed_shop(s, NOW)
    with session_scope(url) as s:
        assert s.query(StaffUser).count() == 0
        assert s.query(Seller).count() == 4
    assert "staff" not in summary


def test_demo_seed_is_the_shop_seed_plus_staff_and_history(new_db_url):
    shop_url, demo_url = new_db_url(), new_db_url()
    with session_scope(shop_url) as s:
        shop = seed_shop(s, NOW)
    with session_scope(demo_url) as s:
        full = demo.seed(s, NOW)
    assert {k: v for k, v in full.items() if k not in ("staff", "history")} == shop
    assert full["history"]["conversations"] == demo.DEMO_HISTORY_CONVERSATIONS  # the dashboard is not empty
    assert [(a["username"], a["password"]) for a in full["staff"]] == [
        ("agent1", "agent1234"), ("agent2", "agent1234"), ("author1", "author1234"), ("seller1", "seller1234"),
        ("seller2", "seller1234"), ("seller3", "seller1234"), ("seller4", "seller1234")]
