"""Analytics on the real stack, from scripted conversations: the API returns exactly the expected
rates, restarting the stack in between changes nothing, and a seller sees only its own figures.

Rasa's events come through its event broker: the SQL broker on SQLite in the SQLite pass, the
Pika broker to RabbitMQ in the PostgreSQL (production) pass (skipped if RabbitMQ is not running).
The stack is this module's own, over a fresh database: other modules' conversations do not count.
"""
from __future__ import annotations

import socket
import time
import uuid

import pytest
import requests
from sqlalchemy import func, select

from bot.analytics.models import AnalyticsEvent
from bot.clock import to_kst
from bot.db import session_scope, utcnow
from bot.shop.models import Order, Status
from tests.databases import TEST_DATABASE_URL, Databases
from tests.fixtures import find_orders
from tests.stack import text_of

pytestmark = pytest.mark.stack

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
SHIPPING_FAQ_WORD = "무료배송"
NOT_UNDERSTOOD = "그거 말고 저번에 그거요"
STILL_NOT = "아니 그러니까 그거 그거"


def rabbitmq_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def analytics_stack(tmp_path_factory):
    """(start, database URL): start() starts this module's stack again over the same database."""
    from bot.stack import stop_stack
    from tests.stack import start

    env = {"ABANDON_MINUTES": "0"}  # a question unanswered at query time counts as abandoned
    if TEST_DATABASE_URL:
        if not rabbitmq_up():
            pytest.skip("RabbitMQ is not running on 127.0.0.1:5672 (rabbitmq-server -detached): "
                        "the production event broker cannot be tested")
        env.update(EVENT_BROKER_URL=RABBITMQ_URL, EVENT_BROKER_QUEUE=f"test_analytics_{uuid.uuid4().hex[:8]}")
    tmp = tmp_path_factory.mktemp("analytics")
    dbs = Databases(tmp)
    url = dbs.create()
    running = []

    def restart():
        if running:
            stop_stack(running.pop())
        stack, procs = start(tmp, url, **env)
        running.append(procs)
        return stack

    try:
        yield restart, url, env
    finally:
        if running:
            stop_stack(running.pop())
        if "EVENT_BROKER_QUEUE" in env:
            _delete_queue(env["EVENT_BROKER_QUEUE"])
        dbs.drop_all()


def _delete_queue(name: str) -> None:
    import asyncio

    import aio_pika

    async def delete():
        connection = await aio_pika.connect_robust(RABBITMQ_URL)
        async with connection:
            await (await connection.channel()).queue_delete(name)

    asyncio.run(delete())


def figures(stack, staff, expect_conversations=None, **params) -> dict:
    """GET the analytics for today; with RabbitMQ, wait until the consumer has caught up."""
    today = to_kst(utcnow()).date().isoformat()
    deadline = time.time() + 30
    while True:
        resp = staff.call("GET", "/api/staff/analytics", params=dict({"from": today, "to": today}, **params))
        assert resp.status_code == 200, resp.text
        data = resp.json()
        if expect_conversations is None or data["conversations"] == expect_conversations or time.time() > deadline:
            return data
        time.sleep(0.5)


def settled_event_count(url: str) -> int:
    """The number of stored events once it has not changed for two seconds."""
    last, same_since = -1, time.time()
    while time.time() - same_since < 2:
        with session_scope(url) as s:
            now = s.execute(select(func.count()).select_from(AnalyticsEvent)).scalar_one()
        if now != last:
            last, same_since = now, time.time()
        time.sleep(0.25)
    return last


def ticket_of(staff, conversation_id: str) -> dict:
    for status in ("queued", "assigned"):
        for ticket in staff.call("GET", "/api/staff/tickets", params={"status": status}).json()["tickets"]:
            if ticket["conversation_id"] == conversation_id:
                return ticket
    raise AssertionError(f"no open ticket for {conversation_id}")


def csat(customer, **body) -> requests.Response:
    return customer.http.post(customer.stack.base_url + "/api/conversation/csat", json=body)


def resolved_by_the_bot(stack, score=None, shown=False, not_understood_first=False):
    me = stack.customer()
    if not_understood_first:
        assert "이해하지 못했어요" in text_of(me.say(NOT_UNDERSTOOD))
    assert SHIPPING_FAQ_WORD in text_of(me.say("배송비 얼마예요?"))
    assert me.http.get(stack.base_url + "/api/conversation/csat").json() == {"ask": False, "rated": False}
    assert text_of(me.say("고마워요")), "the bot says you are welcome"
    assert me.http.get(stack.base_url + "/api/conversation/csat").json() == {"ask": True, "rated": False}
    if shown:
        assert me.http.post(stack.base_url + "/api/conversation/csat/shown", json={}).status_code == 200
    if score:
        assert csat(me, score=score, comment="빨라요").status_code == 200
    return me


def test_the_dashboard_counts_exactly_what_happened_across_a_restart(analytics_stack):
    restart, url, env = analytics_stack
    stack = restart()
    agent = stack.staff("agent1", "agent1234")
    assert figures(stack, agent)["conversations"] == 0, "today starts empty (the demo history is before today)"

    # --- before the restart: three resolved by the bot (two rated), one greeting, one requested handoff
    first = resolved_by_the_bot(stack, score=5)
    resolved_by_the_bot(stack, score=4)
    resolved_by_the_bot(stack, shown=True)
    assert csat(first, score=3).status_code == 409 and "이미" in csat(first, score=3).json()["error"]
    assert text_of(stack.customer().say("안녕하세요")), "a greeting only: asked nothing"
    requested = stack.customer(3)
    assert "상담원에게 연결" in text_of(requested.say("상담원 연결해 주세요"))
    assert csat(requested, score=7).status_code == 400
    ticket = ticket_of(agent, requested.conversation_id)
    for step in ("claim", "reply", "handback"):
        body = {"json": {"text": "처리해 드렸어요."}} if step == "reply" else {}
        assert agent.call("POST", f"/api/staff/tickets/{ticket['id']}/{step}", **body).status_code == 200
    assert requested.http.get(stack.base_url + "/api/conversation/csat").json()["ask"] is True
    assert csat(requested, score=5).status_code == 200
    silent = stack.customer()
    assert csat(silent, score=5).status_code == 409, "nothing answered yet"

    before = figures(stack, agent, expect_conversations=4)
    assert (before["conversations"], before["contained"], before["handed_off"]) == (4, 3, 1)
    stored = settled_event_count(url)  # the last turns' events may still be on their way
    before = figures(stack, agent)

    # --- restart: the same figures, the same events, nothing counted twice
    stack = restart()
    agent = stack.staff("agent1", "agent1234")
    assert figures(stack, agent) == before
    assert settled_event_count(url) == stored

    # --- after the restart: a fallback then resolved, two fallbacks handed off, a seller question, abandoned
    resolved_by_the_bot(stack, score=2, not_understood_first=True)
    lost = stack.customer(2)
    assert "이해하지 못했어요" in text_of(lost.say(NOT_UNDERSTOOD))
    assert "상담원에게 연결" in text_of(lost.say(STILL_NOT))
    fallback_ticket = ticket_of(agent, lost.conversation_id)
    assert agent.call("POST", f"/api/staff/tickets/{fallback_ticket['id']}/claim").status_code == 200
    assert agent.call("POST", f"/api/staff/tickets/{fallback_ticket['id']}/reply", json={"text": "네 말씀하세요"}).status_code == 200
    assert agent.call("POST", f"/api/staff/tickets/{fallback_ticket['id']}/close").status_code == 200
    with session_scope(url) as s:
        order = find_orders(s, customer_id=4, status=Status.DELIVERED)[0]
        order_id, seller_id = order.id, order.seller_id
    asking = stack.customer(4)
    assert "판매자" in text_of(asking.say(f"{order_id} 이 상품 재입고 언제 되나요?"))
    seller = seller_account(stack, url, seller_id)
    seller_ticket = ticket_of(seller, asking.conversation_id)
    assert seller.call("POST", f"/api/staff/tickets/{seller_ticket['id']}/reply", json={"text": "다음 주 입고돼요."}).status_code == 200
    assert seller.call("POST", f"/api/staff/tickets/{seller_ticket['id']}/handback").status_code == 200
    leaving = stack.customer(1)
    assert leaving.say("주문 취소하고 싶어요")[-1]["buttons"], "the bot asks which order; the customer leaves"

    r = figures(stack, agent, expect_conversations=8)
    # asked: 3 resolved + 1 requested + 1 fallback-then-resolved + 1 handed off on fallbacks + 1 seller + 1 abandoned
    assert (r["conversations"], r["conversations_started"], r["greetings_only"]) == (8, 9, 1)
    assert (r["contained"], r["containment_rate"]) == (5, 0.625)
    assert (r["handed_off"], r["handoff_rate"]) == (3, 0.375)
    assert sorted((h["reason"], h["count"]) for h in r["handoffs_by_reason"]) == [
        ("fallback", 1), ("product_question", 1), ("requested", 1)]
    assert sorted((h["target"], h["count"]) for h in r["handoffs_by_target"]) == [("agent", 2), ("seller", 1)]
    # customer messages the bot saw: 3x2 + 1 + 3 + 2 + 1 + 1 = 14; three got the fallback
    assert r["fallback"] == {"messages": 14, "fallback_messages": 3, "message_rate": round(3 / 14, 4),
                             "conversations": 2, "conversation_rate": 0.25}
    assert (r["abandoned"], r["abandonment_rate"]) == (1, 0.125)
    assert r["csat"] == {"score": 0.75, "responses": 4, "shown": 5, "response_rate": 0.8, "average": 4.0,
                         "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 2}}
    assert {t["topic"]: t["count"] for t in r["faq_topics"]} == {"faq/shipping_policy": 4}
    assert [a["name"] for a in r["agents"]] == ["김하늘"] and r["agents"][0]["tickets"] == 2
    assert r["agents"][0]["answered"] == 2
    [row] = r["sellers"]
    assert (row["seller_id"], row["tickets"], row["answered_within_24h"], row["within_24h_rate"]) == (seller_id, 1, 1, 1.0)

    # --- a seller sees only its own figures; another seller sees none of them
    mine = figures(stack, seller)
    assert (mine["scope"], mine["conversations"], mine["agents"]) == ({"seller_id": seller_id, "role": "seller"}, 1, [])
    assert [h["reason"] for h in mine["handoffs_by_reason"]] == ["product_question"]
    assert [s["seller_id"] for s in mine["sellers"]] == [seller_id] and mine["containment_rate"] is None
    other = figures(stack, seller_account(stack, url, seller_id, other=True))
    assert (other["conversations"], other["sellers"], other["handoffs_by_reason"]) == (0, [], [])

    # --- CSV of a table, and the API's refusals
    csv = agent.call("GET", "/api/staff/analytics", params={"from": r["from"], "to": r["to"], "format": "csv",
                                                            "table": "handoffs"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert sorted(csv.text.lstrip("\ufeff").splitlines()[1:]) == [
        "fallback,챗봇이 이해하지 못함,1,0.3333", "product_question,상품 문의,1,0.3333", "requested,상담원 연결 요청,1,0.3333"]
    assert requests.get(stack.base_url + "/api/staff/analytics").status_code == 401
    assert agent.call("GET", "/api/staff/analytics", params={"from": "2026-13-01"}).status_code == 400
    assert agent.call("GET", "/api/staff/analytics", params={"from": r["to"], "to": "2020-01-01"}).json()["error"] \
        == "시작일이 종료일보다 늦어요."


def seller_account(stack, url: str, seller_id: int, other: bool = False):
    from bot.handoff.models import StaffUser

    with session_scope(url) as s:
        query = select(StaffUser.username).where(StaffUser.role == "seller")
        query = query.where(StaffUser.seller_id != seller_id) if other else query.where(StaffUser.seller_id == seller_id)
        username = s.execute(query.order_by(StaffUser.id)).scalars().first()
    return stack.staff(username, "seller1234")
