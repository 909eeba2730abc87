"""Trust boundaries on the real stack, one test per attack, each printing its counts:

- guessing a guest order's phone digits through fresh conversations (one order; rotating
  order numbers), from one client address;
- a seller reading other sellers' data in the ticket detail and on the staff websocket;
- guessing a staff password (lockout, the right password refused, /health unaffected);
- replaying a signed help-desk reply, and signed bodies that are not JSON objects.

Failure counters live in the shared database: each test starts and ends with none, so the
lockouts it provokes from 127.0.0.1 do not reach the other tests.
"""
from __future__ import annotations

import asyncio
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import websockets
from requests.adapters import HTTPAdapter
from sqlalchemy import delete, select

from bot.db import session_scope
from bot.gateway.passwords import hash_password
from bot.handoff.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.handoff.models import StaffUser
from bot.shop.models import Status
from tests.fixtures import find_orders
from tests.stack import WEBHOOK_SECRET, text_of

pytestmark = pytest.mark.stack

NOT_FOUND = "찾지 못했어요"
LOCKED = "잠시 잠겼어요"


@pytest.fixture(autouse=True)
def no_failure_counters(stack):
    def clear():
        try:
            from bot.limits import RateLimit
        except ImportError:  # the code before the lockouts had none
            return
        with session_scope(stack.database_url) as s:
            s.execute(delete(RateLimit))

    clear()
    yield
    clear()


class SourceAddress(HTTPAdapter):
    """Connect from another loopback address: another client for the gateway."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def guest_orders(stack, count: int) -> list:
    """(order number, phone digits, what only a verified answer shows: the order number)."""
    with session_scope(stack.database_url) as s:
        orders = find_orders(s, guest=True)[:count]
        assert len(orders) == count
        return [(o.id, o.orderer_phone[-4:], o.id) for o in orders]


def guesses(digits: str, count: int, right_at: int) -> list:
    """`count` wrong 4-digit guesses with the right one at position `right_at` (1-based)."""
    wrong = [f"{n:04d}" for n in range(1000, 10000, 7) if f"{n:04d}" != digits][:count - 1]
    return wrong[:right_at - 1] + [digits] + wrong[right_at - 1:]


def try_digits(stack, order_id: str, digits: str, session: requests.Session = None) -> str:
    """One guess in a brand-new conversation (a new cookie): the order number, then the digits."""
    guest = stack.customer()
    if session is not None:
        guest.http = session
        session.cookies.clear()
        session.get(stack.base_url + "/api/me").raise_for_status()
    first = text_of(guest.say(f"{order_id} 배송조회요"))
    if LOCKED in first:
        guest.say(digits)  # an attacker sends the digits anyway
        return first
    return text_of(guest.say(digits))


def brute_force(stack, plan: list) -> tuple:
    """(attempts, attempts that reached a real check, orders found, answers). A wrong pair and a
    lock never repeat the order number; the verified status answer starts with it."""
    answers = [(tracking, try_digits(stack, order_id, digits)) for order_id, digits, tracking in plan]
    checked = sum(NOT_FOUND in answer or tracking in answer for tracking, answer in answers)
    found = [tracking for tracking, answer in answers if tracking in answer]
    return len(answers), checked, found, answers


def test_guessing_one_guest_order_through_fresh_conversations_fails(stack):
    [(order_id, digits, shown)] = guest_orders(stack, 1)
    plan = [(order_id, guess, shown) for guess in guesses(digits, 40, right_at=30)]
    attempts, checked, found, answers = brute_force(stack, plan)
    print(f"guest brute force, one order, fresh conversations: {attempts} attempts, "
          f"{checked} reached a real check, digits found: {bool(found)}")
    assert found == [] and checked == 10  # the order number's budget
    assert LOCKED in answers[29][1] and order_id not in answers[29][1]
    assert all(LOCKED in answer for _, answer in answers[10:])
    # The order stays locked for every conversation; another client's other order does not.
    assert LOCKED in try_digits(stack, order_id, digits)
    with requests.Session() as other_client:
        other_client.mount("http://", SourceAddress("127.0.0.2"))
        [_, (other_id, other_digits, _)] = guest_orders(stack, 2)
        assert other_id in try_digits(stack, other_id, other_digits, session=other_client)


def test_guessing_rotating_order_numbers_from_one_client_fails(stack):
    orders = guest_orders(stack, 5)
    plan = []
    for n in range(40):
        order_id, digits, shown = orders[n % 5]
        plan.append((order_id, digits if n == 29 else guesses(digits, 41, right_at=41)[n], shown))
    attempts, checked, found, answers = brute_force(stack, plan)
    print(f"guest brute force, rotating 5 order numbers, one client: {attempts} attempts, "
          f"{checked} reached a real check, digits found: {bool(found)}")
    assert found == [] and checked == 20  # the client's budget; no order reached its own
    assert all(LOCKED in answer for _, answer in answers[20:])


# --------------------------------------------------------------------------- sellers


def seller_scene(stack):
    """A customer with a delivered order of seller A and a shipped order of seller B."""
    with session_scope(stack.database_url) as s:
        for mine in find_orders(s, guest=False, status=Status.DELIVERED):
            if mine.customer_id in (1, 2):
                continue
            other = next((o for o in find_orders(s, customer_id=mine.customer_id, status=Status.SHIPPED)
                          if o.seller_id != mine.seller_id), None)
            if other is not None:
                username = s.execute(select(StaffUser.username).where(
                    StaffUser.seller_id == mine.seller_id)).scalars().first()
                return (mine.customer_id, mine.id, other.id, other.shipment.tracking_number, username)
    raise LookupError("no customer with orders of two sellers")


def test_a_seller_sees_only_their_ticket_and_order(stack):
    customer_id, order_id, other_id, other_tracking, username = seller_scene(stack)
    later_address = "월드컵로 12"
    secrets = [other_id, other_tracking, later_address]
    customer = stack.customer(customer_id)
    assert other_tracking in text_of(customer.say(f"{other_id} 배송조회요"))
    assert "판매자" in text_of(customer.say(f"{order_id} 이 상품 재입고 언제 되나요?"))
    seller = stack.staff(username, "seller1234")
    tickets = seller.call("GET", "/api/staff/tickets").json()["tickets"]
    ticket = next(t for t in tickets if t["conversation_id"] == customer.conversation_id)

    async def watch() -> list:
        url = stack.base_url.replace("http://", "ws://") + f"/ws/staff?token={seller.token}"
        frames = []
        async with websockets.connect(url) as ws:
            await asyncio.sleep(0.3)
            loop = asyncio.get_running_loop()

            async def act(*steps):
                for step in steps:
                    await loop.run_in_executor(None, step)

            task = asyncio.ensure_future(act(
                lambda: customer.say(f"{other_id} 배송 어디쯤이에요?"),
                lambda: seller.call("POST", f"/api/staff/tickets/{ticket['id']}/reply",
                                    json={"text": "다음 주 수요일에 재입고돼요."}),
                lambda: seller.call("POST", f"/api/staff/tickets/{ticket['id']}/close"),
                lambda: customer.say(f"배송지 서울시 마포구 {later_address} 3층으로 바꾸고 싶어요"),
                lambda: customer.say(f"{other_id} 송장번호 다시 알려주세요"),
            ))
            while not task.done():
                try:
                    frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5)))
                except asyncio.TimeoutError:
                    pass
            await task
            end = time.monotonic() + 1.5
            while time.monotonic() < end:
                try:
                    frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=0.3)))
                except asyncio.TimeoutError:
                    pass
        return frames

    frames = asyncio.run(watch())
    mine = [f for f in frames if f.get("ticket_id") == ticket["id"] or f.get("ticket", {}).get("id") == ticket["id"]]
    socket_text = json.dumps(mine, ensure_ascii=False)
    detail = seller.call("GET", f"/api/staff/tickets/{ticket['id']}").json()
    listed = seller.call("GET", "/api/staff/tickets", params={"status": "done"}).json()["tickets"]
    api_text = json.dumps([detail, listed], ensure_ascii=False)
    later_frames = [f for f in mine if f["type"] == "message" and later_address in f["message"]["text"]]
    api_leaks = sum(api_text.count(secret) for secret in secrets)
    socket_leaks = sum(socket_text.count(secret) for secret in secrets) + len(later_frames)
    print(f"seller leaks: API {api_leaks}, websocket {socket_leaks} "
          f"({len(detail['messages'])} messages in the detail, {len(mine)} frames for the ticket)")
    assert (api_leaks, socket_leaks) == (0, 0)
    texts = [m["text"] for m in detail["messages"]]
    assert texts[0] == f"{order_id} 이 상품 재입고 언제 되나요?" and "다음 주 수요일에 재입고돼요." in texts
    assert "[다른 주문번호] 배송 어디쯤이에요?" in texts
    agent = stack.staff("agent1", "agent1234")
    whole = json.dumps(agent.call("GET", f"/api/staff/tickets/{ticket['id']}").json(), ensure_ascii=False)
    assert other_tracking in whole and later_address in whole, "agents still see the whole conversation"


# --------------------------------------------------------------------------- staff login


def health_p50(stack, count: int) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        requests.get(stack.base_url + "/health", timeout=30).raise_for_status()
        times.append(time.perf_counter() - started)
        time.sleep(0.02)
    return statistics.median(times) * 1000


def test_guessing_a_staff_password_is_locked_out_without_slowing_anyone(stack):
    with session_scope(stack.database_url) as s:
        if s.execute(select(StaffUser).where(StaffUser.username == "guard1")).scalar() is None:
            s.add(StaffUser(username="guard1", password_hash=hash_password("guard-pass-1"),
                            display_name="보안점검", role="agent"))
    login = stack.base_url + "/api/staff/login"
    statuses = [requests.post(login, json={"username": "guard1", "password": f"guess-{n}"}).status_code
                for n in range(8)]
    right = requests.post(login, json={"username": "guard1", "password": "guard-pass-1"})
    print(f"staff login: {len(statuses)} guesses -> {statuses}; right password during the lockout -> {right.status_code}")
    assert statuses == [401] * 4 + [429] * 4
    assert right.status_code == 429 and "token" not in right.json()
    assert right.json()["error"].startswith("로그인 시도가 너무 많아 잠시 막아 두었어요. 15분 뒤(")
    assert 800 <= int(right.headers["Retry-After"]) <= 900

    baseline = health_p50(stack, 40)
    sent = []

    def guess(worker: int) -> None:
        """75 of the 300 guesses at about 24 a second in all. Every guess costs a real password
        check: 20 client addresses with 15 guesses each, 60 accounts with 5 each (below both
        lockouts until the 5th guess of an account)."""
        http = None
        for n in range(worker * 75, worker * 75 + 75):
            if n % 15 == 0:
                http = requests.Session()
                http.mount("http://", SourceAddress(f"127.0.1.{n // 15 + 1}"))
            answer = http.post(login, json={"username": f"user{n // 5}", "password": f"guess-{n}"}, timeout=30)
            sent.append(answer.status_code)
            time.sleep(1 / 6)

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(guess, w) for w in range(4)]
        times = []
        while not all(f.done() for f in futures):
            started = time.perf_counter()
            requests.get(stack.base_url + "/health", timeout=30).raise_for_status()
            times.append(time.perf_counter() - started)
            time.sleep(0.02)
        for future in futures:
            future.result()
    during = statistics.median(times) * 1000
    p90 = statistics.quantiles(times, n=10)[-1] * 1000
    print(f"/health p50: baseline {baseline:.1f} ms, during a burst of {len(sent)} guesses {during:.1f} ms "
          f"(p90 {p90:.1f} ms, {len(times)} probes; answers {sorted(set(sent))})")
    assert sorted(sent) == [401] * 240 + [429] * 60  # each account's 5th guess locks it
    assert during < 3 * baseline + 25


# --------------------------------------------------------------------------- signed hook API


def test_a_replayed_signed_reply_is_posted_once(stack):
    customer = stack.customer(4)
    text_of(customer.say("상담원 연결해 주세요"))
    agent = stack.staff("agent1", "agent1234")
    tickets = agent.call("GET", "/api/staff/tickets").json()["tickets"]
    ticket = next(t for t in tickets if t["conversation_id"] == customer.conversation_id)
    url = f"{stack.base_url}/api/hook/tickets/{ticket['id']}/reply"

    def signed(body: bytes, timestamp: str):
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(WEBHOOK_SECRET, timestamp, body)}
        return requests.post(url, data=body, headers=headers, timeout=30)

    body = json.dumps({"text": "주문 확인했어요. 내일 발송돼요.", "author": "외부상담"}, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    answers = [signed(body, timestamp) for _ in range(3)]
    posted = [m for m in customer.history() if m["text"] == "주문 확인했어요. 내일 발송돼요."]
    print(f"signed reply sent {len(answers)} times, posted {len(posted)} times")
    assert [a.status_code for a in answers] == [200, 409, 409] and len(posted) == 1
    for raw in (b'["reply"]', b'"reply"', b"42"):
        answer = signed(raw, str(int(time.time())))
        assert (answer.status_code, answer.json()) == (400, {"error": "요청 형식이 올바르지 않아요."})
