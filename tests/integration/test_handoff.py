"""Human handoff on the real stack: agent round trip, seller answers and decisions,
authorization, websocket reconnects, and the help-desk hook's inbound API."""
from __future__ import annotations

import asyncio
import json
import time

import pytest
import requests
import websockets
from sqlalchemy import select

from bot.conversation.models import Conversation, Message
from bot.db import session_scope
from bot.handoff.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.shop.models import Order, Status
from tests.fixtures import find_orders
from tests.stack import WEBHOOK_SECRET, text_of

pytestmark = pytest.mark.stack


def ws_url(stack, path: str) -> str:
    return stack.base_url.replace("http://", "ws://") + path


def cookie_header(customer) -> dict:
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in customer.http.cookies)}


async def receive(ws, count: int, timeout: float = 20.0) -> list:
    """`count` message frames (other frame types are skipped)."""
    frames = []
    deadline = time.monotonic() + timeout
    while len(frames) < count:
        raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic()))
        frame = json.loads(raw)
        if frame["type"] == "message":
            frames.append(frame)
    return frames


def ticket_of(staff, conversation_id: str, status: str = "queued") -> dict:
    tickets = staff.call("GET", "/api/staff/tickets", params={"status": status}).json()["tickets"]
    return next(t for t in tickets if t["conversation_id"] == conversation_id)


def test_agent_takes_the_conversation_and_gives_it_back(stack):
    customer = stack.customer(3)
    answer = text_of(customer.say("상담원 연결해 주세요"))
    assert "상담원에게 연결" in answer
    agent = stack.staff("agent1", "agent1234")
    ticket = ticket_of(agent, customer.conversation_id)
    assert (ticket["reason"], ticket["customer_name"]) == ("requested", "박서연")
    detail = agent.call("GET", f"/api/staff/tickets/{ticket['id']}").json()
    assert detail["context"]["intent"]["name"] == "request_human"
    assert detail["context"]["customer"]["id"] == 3
    assert any(m["text"] == "상담원 연결해 주세요" for m in detail["messages"])
    assert agent.call("POST", f"/api/staff/tickets/{ticket['id']}/claim").status_code == 200

    async def round_trip():
        last = customer.history()[-1]["id"]
        async with websockets.connect(ws_url(stack, f"/ws/conversation?after={last}"),
                                      extra_headers=cookie_header(customer)) as widget, \
                websockets.connect(ws_url(stack, f"/ws/staff?token={agent.token}")) as console:
            await asyncio.sleep(0.3)
            agent.call("POST", f"/api/staff/tickets/{ticket['id']}/reply", json={"text": "안녕하세요, 상담원 김하늘입니다."})
            [reply] = await receive(widget, 1)
            assert (reply["message"]["sender"], reply["message"]["author"]) == ("agent", "김하늘")
            sent = time.monotonic()
            replies = customer.say("니트 환불 문의드려요")
            [seen] = [f for f in await receive(console, 2) if f["message"]["sender"] == "customer"]
            latency = time.monotonic() - sent
            assert replies == [], "the bot stays silent while the agent has the conversation"
            assert seen["ticket_id"] == ticket["id"] and seen["message"]["text"] == "니트 환불 문의드려요"
            return latency

    latency = asyncio.run(round_trip())
    print(f"handoff latency customer message -> agent socket: {latency * 1000:.0f} ms")
    back = agent.call("POST", f"/api/staff/tickets/{ticket['id']}/handback")
    assert back.status_code == 200 and back.json()["ticket"]["status"] == "resolved"
    assert "더 도와드릴 일이 있을까요" in customer.history()[-1]["text"]
    answer = text_of(customer.say("주문한 거 배송조회 해주세요"))
    assert answer and "상담원" not in answer, "the bot answers again"


def test_an_agent_cannot_answer_a_ticket_assigned_to_someone_else(stack):
    customer = stack.customer(4)
    customer.say("사람이랑 상담하고 싶어요 상담원 연결해 주세요")
    kim, lee = stack.staff("agent1", "agent1234"), stack.staff("agent2", "agent1234")
    ticket = ticket_of(kim, customer.conversation_id)
    assert kim.call("POST", f"/api/staff/tickets/{ticket['id']}/claim").status_code == 200
    refused = lee.call("POST", f"/api/staff/tickets/{ticket['id']}/reply", json={"text": "제가 할게요"})
    assert refused.status_code == 403 and refused.json()["error"]
    assert lee.call("POST", f"/api/staff/tickets/{ticket['id']}/handback").status_code == 403
    assert kim.call("POST", f"/api/staff/tickets/{ticket['id']}/close").status_code == 200


def test_unauthenticated_and_forged_requests_get_401(stack):
    for method, path in [("GET", "/api/staff/tickets"), ("GET", "/api/staff/tickets/1"),
                         ("POST", "/api/staff/tickets/1/reply"), ("POST", "/api/staff/tickets/1/claim")]:
        assert requests.request(method, stack.base_url + path, json={}).status_code == 401
        forged = requests.request(method, stack.base_url + path, json={},
                                  headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401
    bad = requests.post(stack.base_url + "/api/staff/login", json={"username": "agent1", "password": "wrong"})
    assert bad.status_code == 401 and "비밀번호" in bad.json()["error"]


def test_a_customer_cannot_read_another_conversation(stack):
    alice, mallory = stack.customer(5), stack.customer(6)
    alice.say("안녕하세요 배송 문의요")
    cookie = next(c for c in alice.http.cookies)
    conversation_id = alice.conversation_id
    forged = requests.get(stack.base_url + "/api/conversation/messages",
                          cookies={cookie.name: f"{conversation_id}.{'0' * 64}"})
    assert forged.status_code == 401
    assert all(m["conversation_id"] != conversation_id for m in mallory.history())


def test_a_message_to_a_conversation_that_is_gone_gets_401_and_is_not_stored(stack):
    guest = stack.customer()
    conversation_id = guest.conversation_id
    with session_scope(stack.database_url) as s:  # a signed cookie whose conversation was deleted
        s.delete(s.get(Conversation, conversation_id))
    sent = guest.send("배송비 얼마예요?")
    assert sent.status_code == 401
    assert sent.json()["error"] == "대화를 찾을 수 없어요. 페이지를 새로고침해 주세요."
    with session_scope(stack.database_url) as s:
        assert s.execute(select(Message).where(Message.conversation_id == conversation_id)).first() is None


def seller_of(stack, order_id: str):
    with session_scope(stack.database_url) as s:
        order = s.get(Order, order_id)
        return order.seller_id


def seller_login(stack, seller_id: int, other: bool = False):
    from sqlalchemy import select

    from bot.handoff.models import StaffUser

    with session_scope(stack.database_url) as s:
        query = select(StaffUser.username).where(StaffUser.role == "seller")
        query = query.where(StaffUser.seller_id != seller_id) if other else query.where(StaffUser.seller_id == seller_id)
        username = s.execute(query).scalars().first()
    return stack.staff(username, "seller1234")


def test_a_product_question_is_answered_by_the_products_seller_only(stack):
    with session_scope(stack.database_url) as s:
        order = find_orders(s, customer_id=2, status=Status.DELIVERED)[0]
        order_id, seller_id = order.id, order.seller_id
    customer = stack.customer(2)
    answer = text_of(customer.say(f"{order_id} 이 상품 재입고 언제 되나요?"))
    assert "판매자" in answer and "24시간" in answer
    seller, other = seller_login(stack, seller_id), seller_login(stack, seller_id, other=True)
    ticket = ticket_of(seller, customer.conversation_id)
    assert ticket["kind"] == "question" and ticket["deadline_at"]
    assert other.call("GET", f"/api/staff/tickets/{ticket['id']}").status_code == 404
    assert all(t["id"] != ticket["id"] for t in other.call("GET", "/api/staff/tickets").json()["tickets"])
    reply = seller.call("POST", f"/api/staff/tickets/{ticket['id']}/reply", json={"text": "다음 주 수요일에 재입고 예정입니다."})
    assert reply.status_code == 200
    last = customer.history()[-1]
    assert (last["sender"], last["text"]) == ("seller", "다음 주 수요일에 재입고 예정입니다.")
    assert text_of(customer.say("감사합니다 덕분에 알았어요")), "the bot keeps serving meanwhile"


def test_a_preparing_cancel_is_approved_by_the_seller(stack):
    with session_scope(stack.database_url) as s:
        order = next(o for o in find_orders(s, status=Status.PREPARING, guest=False) if o.customer_id != 1)
        order_id, seller_id, customer_id = order.id, order.seller_id, order.customer_id
    customer = stack.customer(customer_id)
    assert "판매자 확인이 필요" in text_of(customer.say(f"{order_id} 주문 취소해 주세요"))
    customer.press("요청할게요")
    seller = seller_login(stack, seller_id)
    ticket = ticket_of(seller, customer.conversation_id)
    assert ticket["kind"] == "cancel_request"
    decided = seller.call("POST", f"/api/staff/tickets/{ticket['id']}/decision", json={"approve": True})
    assert decided.status_code == 200
    with session_scope(stack.database_url) as s:
        assert s.get(Order, order_id).status == "CANCELLED"
    assert "취소를 승인" in customer.history()[-1]["text"]


def test_a_reconnecting_widget_gets_what_it_missed_once_and_in_order(stack):
    customer = stack.customer(7)
    customer.say("상담원 연결해 주세요")
    agent = stack.staff("agent2", "agent1234")
    ticket = ticket_of(agent, customer.conversation_id)
    agent.call("POST", f"/api/staff/tickets/{ticket['id']}/claim")

    async def scenario():
        url = ws_url(stack, "/ws/conversation?after={}")
        last = customer.history()[-1]["id"]
        async with websockets.connect(url.format(last), extra_headers=cookie_header(customer)) as ws:
            await asyncio.sleep(0.2)
            agent.call("POST", f"/api/staff/tickets/{ticket['id']}/reply", json={"text": "첫 번째 답변"})
            [first] = await receive(ws, 1)
        # Dropped: meanwhile both sides keep talking.
        sent = []
        for text in ("두 번째 답변", "세 번째 답변"):
            sent.append(agent.call("POST", f"/api/staff/tickets/{ticket['id']}/reply", json={"text": text}).json())
        customer.say("아직 안 보이는데요?")
        sent.append(agent.call("POST", f"/api/staff/tickets/{ticket['id']}/reply", json={"text": "네 보내드렸어요"}).json())
        async with websockets.connect(url.format(first["message"]["id"]),
                                      extra_headers=cookie_header(customer)) as ws:
            missed = await receive(ws, 4)
            agent.call("POST", f"/api/staff/tickets/{ticket['id']}/reply", json={"text": "다섯 번째"})
            [live] = await receive(ws, 1)
            extra = []
            try:
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=1.0))
                    if frame["type"] == "message":
                        extra.append(frame)
            except asyncio.TimeoutError:
                pass
        return missed, live, extra

    missed, live, extra = asyncio.run(scenario())
    texts = [f["message"]["text"] for f in missed]
    assert texts == ["두 번째 답변", "세 번째 답변", "아직 안 보이는데요?", "네 보내드렸어요"]
    ids = [f["message"]["id"] for f in missed] + [live["message"]["id"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert live["message"]["text"] == "다섯 번째" and extra == [], "nothing doubled"


def signed(body: dict) -> tuple:
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time()))
    return raw, {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                 SIGNATURE_HEADER: sign(WEBHOOK_SECRET, timestamp, raw)}


def test_an_external_help_desk_answers_through_the_signed_inbound_api(stack):
    customer = stack.customer(8)
    customer.say("상담원 연결해 주세요")
    agent = stack.staff("agent1", "agent1234")
    ticket = ticket_of(agent, customer.conversation_id)
    raw, headers = signed({"text": "헬프데스크에서 답변드려요", "author": "외부상담원 박"})
    url = f"{stack.base_url}/api/hook/tickets/{ticket['id']}/reply"
    forged = dict(headers, **{SIGNATURE_HEADER: "sha256=" + "0" * 64})
    assert requests.post(url, data=raw, headers=forged).status_code == 401
    assert requests.post(url, data=raw, headers=headers).status_code == 200
    last = customer.history()[-1]
    assert (last["text"], last["author"]) == ("헬프데스크에서 답변드려요", "외부상담원 박")
    raw, headers = signed({})
    assert requests.post(f"{stack.base_url}/api/hook/tickets/{ticket['id']}/handback", data=raw,
                         headers=headers).status_code == 200
    assert "더 도와드릴 일이 있을까요" in customer.history()[-1]["text"]
