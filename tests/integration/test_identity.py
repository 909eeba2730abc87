"""Customer identity on the real stack: the demo picker in demo mode, and in production the
shop's signed token (bot.gateway.identity) through `POST /api/identify`.

A second gateway runs in production mode beside the stack's demo one (tests/production.py).
Each test prints what it tried and what leaked (always 0).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import List, Optional

import pytest
import requests
from sqlalchemy import func, select

from bot.conversation.models import Conversation
from bot.db import session_scope
from bot.gateway.identity import sign
from bot.shop.models import Customer, Status
from tests.fixtures import find_orders
from tests.production import IDENTITY_SECRET, production_gateway
from tests.stack import text_of

pytestmark = pytest.mark.stack

DEMO_ONLY = "데모 모드에서만 고객을 고를 수 있어요. 쇼핑몰에 로그인해 주세요."
FORGED = "회원 정보를 확인할 수 없어요. 페이지를 새로고침해 주세요."
EXPIRED = "회원 확인 시간이 지났어요. 페이지를 새로고침해 주세요."
UNKNOWN = "회원 정보를 찾을 수 없어요. 쇼핑몰에 다시 로그인해 주세요."


@pytest.fixture(scope="module")
def shop(stack):
    with production_gateway(stack) as base_url:
        yield base_url


def token(customer_id: int, seconds: float = 600, secret: str = IDENTITY_SECRET) -> str:
    return sign(secret, customer_id, int(time.time() + seconds))


@dataclass
class Visitor:
    """A browser on the shop's page: a cookie jar, the widget's identify call and chat."""

    base: str
    http: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.http.get(self.base + "/api/me").raise_for_status()

    def identify(self, token: Optional[str]) -> requests.Response:
        return self.http.post(self.base + "/api/identify", json={"token": token}, timeout=30)

    def me(self) -> dict:
        return self.http.get(self.base + "/api/me").json()

    def say(self, text: str) -> str:
        resp = self.http.post(self.base + "/api/conversation/messages", json={"text": text}, timeout=60)
        resp.raise_for_status()
        return text_of(resp.json()["replies"])

    def history(self) -> List[dict]:
        return self.http.get(self.base + "/api/conversation/messages").json()["messages"]


def bound_conversations(stack, customer_id: int) -> int:
    with session_scope(stack.database_url) as s:
        return s.execute(select(func.count()).select_from(Conversation)
                         .where(Conversation.customer_id == customer_id)).scalar_one()


def shipped(stack, **criteria):
    with session_scope(stack.database_url) as s:
        order = next(o for o in find_orders(s, status=Status.SHIPPED, **criteria)
                     if o.shipment and o.shipment.tracking_number)
        return order.id, order.customer_id, order.shipment.tracking_number, order.orderer_phone[-4:]


def test_demo_mode_keeps_the_picker_as_it_was(stack):
    visitor = Visitor(stack.base_url)
    assert visitor.me()["demo"] is True
    customers = visitor.http.get(stack.base_url + "/api/demo/customers").json()["customers"]
    assert customers[0] == {"id": 1, "name": "김민지"}
    resp = visitor.http.post(stack.base_url + "/api/login", json={"customer_id": 2})
    assert resp.status_code == 200 and resp.json()["customer"] == {"id": 2, "name": "이준호"}
    assert visitor.me()["customer"] == {"id": 2, "name": "이준호"}
    assert visitor.http.post(stack.base_url + "/api/logout", json={}).json()["customer"] is None


def test_production_refuses_the_picker(stack, shop):
    visitor = Visitor(shop)
    before = bound_conversations(stack, 1)
    me = visitor.me()
    login = visitor.http.post(shop + "/api/login", json={"customer_id": 1})
    customers = visitor.http.get(shop + "/api/demo/customers")
    print(f"production picker: tried 2, accepted 0, customers listed: {len(customers.json().get('customers', []))}")
    assert me["demo"] is False and me["customer"] is None
    assert (login.status_code, login.json()) == (403, {"error": DEMO_ONLY})
    assert (customers.status_code, customers.json()) == (403, {"error": DEMO_ONLY})
    assert visitor.me()["customer"] is None
    assert bound_conversations(stack, 1) == before


def test_a_signed_customer_is_bound_and_sees_their_own_order(stack, shop):
    order_id, customer_id, tracking, _ = shipped(stack, guest=False)
    visitor = Visitor(shop)
    resp = visitor.identify(token(customer_id))
    assert resp.status_code == 200 and resp.json()["customer"]["id"] == customer_id
    conversation_id = resp.json()["conversation_id"]
    assert tracking in visitor.say(f"{order_id} 배송조회요")
    again = visitor.identify(token(customer_id))  # the next page of the shop: the same conversation
    assert again.json()["conversation_id"] == conversation_id
    assert [m["sender"] for m in visitor.history()][:2] == ["customer", "bot"]


def test_forged_expired_other_customer_and_unknown_tokens_identify_nobody(stack, shop):
    order_id, customer_id, tracking, _ = shipped(stack, guest=False)
    with session_scope(stack.database_url) as s:
        other = s.execute(select(Customer.id).where(Customer.id != customer_id).order_by(Customer.id)).scalar()
        missing = s.execute(select(func.max(Customer.id))).scalar_one() + 1000
    good = token(other)
    _, expires, mac = good.split(".")
    bad = [
        (token(customer_id, secret="a guessed secret"), FORGED),          # forged: not the shop's secret
        (f"{customer_id}.{expires}.{mac}", FORGED),                        # another customer's signature
        (token(customer_id)[:-1] + ("0" if token(customer_id)[-1] != "0" else "1"), FORGED),
        (f"{customer_id}.{int(expires) + 3600}.{mac}", FORGED),           # the expiry pushed back
        (str(customer_id), FORGED),                                        # an id without a signature
        (token(customer_id, seconds=-1), EXPIRED),                         # expired
        (token(customer_id, seconds=2 * 86400), "회원 확인 정보의 유효 기간이 너무 길어요. 쇼핑몰에 문의해 주세요."),
        (token(missing), UNKNOWN),                                          # signed, but no such customer
        (12, FORGED), (True, FORGED), (["x"], FORGED),
    ]
    before = bound_conversations(stack, customer_id)
    leaks = 0
    for value, message in bad:
        visitor = Visitor(shop)
        resp = visitor.identify(value)
        assert (resp.status_code, resp.json()) == (401, {"error": message}), value
        assert visitor.me()["customer"] is None
        answer = visitor.say(f"{order_id} 배송조회요")
        leaks += tracking in answer
    # a bound browser whose page now carries a bad token is a guest again, not the old customer
    visitor = Visitor(shop)
    visitor.identify(token(other))
    resp = visitor.identify(f"{customer_id}.{expires}.{mac}")
    assert resp.status_code == 401 and visitor.me()["customer"] is None
    print(f"bad tokens: tried {len(bad) + 1}, accepted 0, tracking numbers leaked: {leaks}, 5xx seen: 0")
    assert leaks == 0
    assert bound_conversations(stack, customer_id) == before


def test_a_token_replayed_after_its_expiry_is_refused(stack, shop):
    _, customer_id, _, _ = shipped(stack, guest=False)
    short = token(customer_id, seconds=2)
    first = Visitor(shop)
    assert first.identify(short).json()["customer"]["id"] == customer_id
    time.sleep(3)
    replays = [Visitor(shop).identify(short), first.identify(short)]
    print(f"replay after expiry: tried {len(replays)}, accepted {sum(r.status_code == 200 for r in replays)}")
    assert [(r.status_code, r.json()) for r in replays] == [(401, {"error": EXPIRED})] * 2
    assert first.me()["customer"] is None


def test_guest_then_identified_then_logged_out_share_nothing(stack, shop):
    """A guest's verified order stays with the guest's conversation, a customer's with theirs."""
    guest_order, _, guest_tracking, digits = shipped(stack, guest=True)
    member_order, customer_id, member_tracking, _ = shipped(stack, guest=False)
    visitor = Visitor(shop)
    assert visitor.identify(None).json()["customer"] is None
    guest_conversation = visitor.me()["conversation_id"]
    assert "뒷자리" in visitor.say(f"{guest_order} 배송조회요")
    assert guest_tracking in visitor.say(digits)                    # the guest verified their order

    identified = visitor.identify(token(customer_id)).json()         # then logs in on the shop
    assert identified["customer"]["id"] == customer_id and identified["conversation_id"] != guest_conversation
    assert visitor.history() == []
    as_member = visitor.say(f"{guest_order} 배송조회요")
    assert member_tracking in visitor.say(f"{member_order} 배송조회요")

    logged_out = visitor.identify(None).json()                        # and logs out
    assert logged_out["customer"] is None
    assert logged_out["conversation_id"] not in (guest_conversation, identified["conversation_id"])
    assert visitor.history() == []
    as_guest_again = visitor.say(f"{member_order} 배송조회요")
    leaks = (guest_tracking in as_member) + (member_tracking in as_guest_again)
    print(f"identity switches: 3, tracking numbers leaked across them: {leaks}")
    assert leaks == 0
    assert "뒷자리" in as_guest_again                                 # a guest must verify the order again
