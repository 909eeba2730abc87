"""Past one machine, on loopback: 2 gateways, 2 Rasa instances and 2 action servers as
`python -m bot run --production --gateways 2 --rasa-instances 2 --action-servers 2` starts
them, over PostgreSQL (shop and gateway messages, Rasa's tracker store), Redis (Rasa's lock
store, the gateways' websocket fan-out) and RabbitMQ (Rasa's event broker).

The test client plays the load balancer: the same browser (its cookie) may reach either
gateway, and a request that cannot reach one goes to the other. Runs in the PostgreSQL pass of
`make test`; with -s it prints the figures (recovery, and Rasa throughput with 1 and 2 instances).
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import pytest
import requests
import websockets
import yaml
from sqlalchemy import select

from bot.conversation.models import Message
from bot.conversation.service import BOT_DOWN
from bot.db import session_scope
from bot.shop.models import AuditLog, Claim, Order, Status
from tests.databases import TEST_DATABASE_URL, Databases
from tests.fixtures import find_orders
from tests.redis_server import redis_missing
from tests.stack import ROOT, text_of

pytestmark = pytest.mark.stack
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/10")
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
# The load: FAQ questions, each with the domain's exact answer.
FAQS = [("배송비 얼마예요?", RESPONSES["utter_faq/shipping_policy"][0]["text"]),
        ("반품 기간이 어떻게 되나요?", RESPONSES["utter_faq/return_policy"][0]["text"]),
        ("결제 수단 뭐 있어요?", RESPONSES["utter_faq/payment"][0]["text"])]
FIGURES: List[str] = []


def services_missing() -> Optional[str]:
    if not TEST_DATABASE_URL:
        return "scale-out needs PostgreSQL: it runs in the PostgreSQL pass of `make test` (TEST_DATABASE_URL)"
    if redis_missing(REDIS_URL):
        return f"scale-out needs Redis: {redis_missing(REDIS_URL)}"
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
    except OSError:
        return "scale-out needs RabbitMQ on 127.0.0.1:5672 (rabbitmq-server -detached)"
    return None


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    missing = services_missing()
    if missing:
        pytest.skip(missing)
    from bot.stack import stop_stack
    from tests.stack import start

    tmp = tmp_path_factory.mktemp("scaled")
    dbs = Databases(tmp)
    shop, trackers = dbs.create(), dbs.create()
    queue = f"test_scale_{uuid.uuid4().hex[:8]}"
    running, supervisor = start(tmp, shop, rasa_instances=2, gateways=2, action_servers=2,
                                supervision={"min_backoff": 0.5}, TRACKER_STORE_URL=trackers,
                                REDIS_URL=REDIS_URL, EVENT_BROKER_URL=RABBITMQ_URL, EVENT_BROKER_QUEUE=queue,
                                DEMO_MODE="1")
    FIGURES.append(f"2 gateways + 2 Rasa + 2 action servers started in {running.started_in:.0f} s")
    try:
        yield running
    finally:
        stop_stack(supervisor)
        delete_queue(queue)
        dbs.drop_all()
        print("\n" + "\n".join(FIGURES))


def delete_queue(name: str) -> None:
    import aio_pika

    async def delete():
        connection = await aio_pika.connect_robust(RABBITMQ_URL)
        async with connection:
            await (await connection.channel()).queue_delete(name)

    asyncio.run(delete())


# --- (a) a conversation moves between gateways and Rasa instances -----------------------------

def test_a_cancel_asked_on_one_gateway_is_confirmed_on_the_other(scaled):
    a, b = scaled.gateway_urls
    with session_scope(scaled.database_url) as s:
        order = find_orders(s, status=Status.PAID, guest=False)[0]
        customer_id, order_id, amount = order.customer_id, order.id, order.total_amount
    me = scaled.customer(customer_id).via(a)
    question = text_of(me.say(f"{order_id} 주문 취소해 주세요"))
    assert "바로 취소할 수 있어요" in question and "취소할까요?" in question
    answer = text_of(me.via(b).say("네"))
    assert answer.startswith("취소했어요.") and f"{amount:,}원이 환불돼요" in answer
    with session_scope(scaled.database_url) as s:
        assert s.get(Order, order_id).status == "CANCELLED"
        assert [(c.kind, c.status) for c in s.execute(select(Claim).where(Claim.order_id == order_id)).scalars()] \
            == [("cancel", "approved")]
        assert [a.action for a in s.execute(select(AuditLog).where(AuditLog.order_id == order_id)).scalars()] \
            == ["cancel"]
        rows = s.execute(select(Message).where(Message.conversation_id == me.conversation_id)
                         .order_by(Message.id)).scalars().all()
    assert [m.text for m in rows if m.sender == "customer"] == [f"{order_id} 주문 취소해 주세요", "네"]
    assert [m.text for m in rows if m.sender == "bot"] == [question, answer]


def test_turns_sent_to_the_two_rasa_instances_in_turn_continue_one_conversation(scaled):
    with session_scope(scaled.database_url) as s:
        order = find_orders(s, guest=True, status=Status.SHIPPED)[0]
        order_id, digits, tracking = order.id, order.orderer_phone[-4:], order.shipment.tracking_number
    first, second = scaled.rasa_urls
    sender = f"scale-out-{uuid.uuid4().hex[:8]}"

    def say(url: str, text: str) -> str:
        return text_of(requests.post(f"{url}/webhooks/rest/webhook", timeout=60, json={
            "sender": sender, "message": text, "metadata": {"guest": True}}).json())

    assert "주문번호" in say(first, "비회원 배송조회요")
    assert "뒷자리" in say(second, f"{order_id}이요")           # the other instance knows the task
    assert tracking in say(first, digits)                      # and the order number given before
    trackers = [requests.get(f"{url}/conversations/{sender}/tracker", params={"token": scaled.rasa_token}).json()
                for url in scaled.rasa_urls]
    assert trackers[0]["events"] == trackers[1]["events"], "one conversation, one shared tracker"
    assert trackers[0]["slots"]["verified_order"] == order_id


# --- (b) an agent's reply through gateway B reaches the websockets on gateway A -----------------

def ws_url(base_url: str, path: str) -> str:
    return base_url.replace("http://", "ws://") + path


async def frames(ws, count: int, timeout: float = 20.0) -> List[dict]:
    """The next `count` message frames (other frames are skipped)."""
    found: List[dict] = []
    deadline = time.monotonic() + timeout
    while len(found) < count:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic())))
        if frame["type"] == "message":
            found.append(frame)
    return found


def test_an_agent_reply_through_one_gateway_reaches_the_customer_and_staff_sockets_on_the_other(scaled):
    a, b = scaled.gateway_urls
    me = scaled.customer(3).via(a)
    assert "상담원에게 연결" in text_of(me.say("상담원 연결해 주세요"))
    agent_on_b = scaled.staff("agent1", "agent1234", base_url=b)
    tickets = agent_on_b.call("GET", "/api/staff/tickets", params={"status": "queued"}).json()["tickets"]
    ticket = next(t for t in tickets if t["conversation_id"] == me.conversation_id)
    assert agent_on_b.call("POST", f"/api/staff/tickets/{ticket['id']}/claim").status_code == 200
    reply_text = "안녕하세요, 상담원 김하늘입니다. 어떤 주문 때문에 연락 주셨어요?"
    question = "니트 환불 문의드려요"

    async def scenario():
        cookie = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in me.http.cookies)}
        last = me.history()[-1]["id"]
        async with websockets.connect(ws_url(a, f"/ws/conversation?after={last}"), extra_headers=cookie) as widget, \
                websockets.connect(ws_url(a, f"/ws/staff?token={agent_on_b.token}")) as console:
            await asyncio.sleep(0.3)
            sent = time.monotonic()
            posted = agent_on_b.call("POST", f"/api/staff/tickets/{ticket['id']}/reply", json={"text": reply_text})
            assert posted.status_code == 200
            [reply] = await frames(widget, 1)
            latency = time.monotonic() - sent
            [staff_copy] = await frames(console, 1)
            assert (reply["message"]["sender"], reply["message"]["author"], reply["message"]["text"]) \
                == ("agent", "김하늘", reply_text)
            assert staff_copy["message"] == reply["message"] and staff_copy["ticket_id"] == ticket["id"]

            assert me.via(b).say(question) == [], "the bot stays silent while the agent has it"
            [mine] = await frames(widget, 1)
            [seen] = await frames(console, 1)
            assert (mine["message"]["sender"], mine["message"]["text"]) == ("customer", question)
            assert (seen["ticket_id"], seen["message"]["text"]) == (ticket["id"], question)
            return latency

    latency = asyncio.run(scenario())
    FIGURES.append(f"agent reply posted on gateway B -> customer socket on gateway A: {latency * 1000:.0f} ms")


# --- (d) Rasa throughput, 1 instance vs 2 (a measurement: printed, not asserted) ----------------

def test_measure_rasa_throughput_with_one_and_two_instances(scaled):
    """Closed loop: 8 senders, each a fresh conversation of FAQ questions, straight to Rasa's
    channel for 12 s per round, rounds alternating 1 instance / 2 instances (round robin), twice."""
    def round_of(urls: List[str], seconds: float = 12.0) -> Dict[str, float]:
        stop_at = time.monotonic() + seconds
        latencies: List[float] = []
        errors = [0]

        def sender(n: int) -> None:
            conversation, i = f"throughput-{uuid.uuid4().hex[:8]}", 0
            http = requests.Session()
            while time.monotonic() < stop_at:
                text, expected = FAQS[i % len(FAQS)]
                began = time.monotonic()
                replies = http.post(f"{urls[(n + i) % len(urls)]}/webhooks/rest/webhook", timeout=60,
                                    json={"sender": conversation, "message": text,
                                          "metadata": {"guest": True}}).json()
                if text_of(replies) == expected:
                    latencies.append(time.monotonic() - began)
                else:
                    errors[0] += 1
                i += 1

        began = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(sender, range(8)))
        elapsed = time.monotonic() - began
        latencies.sort()
        return {"turns": len(latencies), "per_s": len(latencies) / elapsed, "errors": errors[0],
                "p50": latencies[len(latencies) // 2] * 1000, "p95": latencies[int(len(latencies) * 0.95)] * 1000}

    one, two = scaled.rasa_urls[:1], scaled.rasa_urls
    round_of(two, 4.0)  # warm-up
    results = {"1": [], "2": []}
    for _ in range(2):
        results["1"].append(round_of(one))
        results["2"].append(round_of(two))
    for label, rounds in results.items():
        assert all(r["errors"] == 0 for r in rounds), rounds
        FIGURES.append(f"Rasa x{label}: " + "; ".join(
            f"{r['per_s']:.1f} turns/s (p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, {r['turns']} turns)"
            for r in rounds))
    ratio = statistics.mean(r["per_s"] for r in results["2"]) / statistics.mean(r["per_s"] for r in results["1"])
    FIGURES.append(f"throughput 2 Rasa / 1 Rasa: {ratio:.2f}x on {os.cpu_count()} cores (one machine: the second "
                   "instance shares the cores of the first and of everything else, so this shows what it costs or "
                   "gives here, not the gain of a second machine)")


# --- (c) killing one Rasa instance or one gateway mid-load ------------------------------------

@dataclass
class Sent:
    """One customer message: its client id, the question and its exact answer, what came back."""

    conversation_id: str
    client_id: str
    text: str
    expected: str
    answer: Optional[str] = None
    tries: List[str] = field(default_factory=list)  # what went wrong before the answer
    waited: float = 0.0  # seconds from the first attempt to the answer


def customer(stack, n: int, stop: threading.Event, deadline: float, sent: List[Sent]) -> None:
    """A guest asking FAQ after FAQ through the gateways in turn; a message that gets no answer
    (gateway unreachable, the bot's error) is sent again, same client id, to the next gateway."""
    urls, http = stack.gateway_urls, requests.Session()
    conversation_id = http.get(urls[n % 2] + "/api/me").json()["conversation_id"]
    i = 0
    while not stop.is_set() and time.monotonic() < deadline:
        text, expected = FAQS[(n + i) % len(FAQS)]
        message = Sent(conversation_id, uuid.uuid4().hex, text, expected)
        sent.append(message)
        gateway, began = n + i, time.monotonic()
        while time.monotonic() < deadline:
            try:
                resp = http.post(urls[gateway % 2] + "/api/conversation/messages", timeout=90,
                                 json={"text": text, "client_id": message.client_id})
                if resp.status_code == 200 and text_of(resp.json()["replies"]) != BOT_DOWN:
                    message.answer = text_of(resp.json()["replies"])
                    message.waited = time.monotonic() - began
                    break
                message.tries.append("bot error" if resp.status_code == 200 else f"HTTP {resp.status_code}")
            except requests.RequestException as exc:
                message.tries.append(type(exc).__name__)
            gateway += 1
            time.sleep(0.2)
        i += 1


def kill(stack, name: str) -> None:
    child = stack.supervisor.child(name)
    os.killpg(child.proc.pid, signal.SIGKILL)
    child.proc.wait()


def under_load(stack, victim: str, customers: int = 6, before: float = 4.0, after: float = 12.0) -> List[Sent]:
    """`customers` guests keep asking; `victim` is killed `before` s in; they stop asking `after` s
    later and finish the message they are on (within 180 s)."""
    stop, sent = threading.Event(), []
    deadline = time.monotonic() + before + after + 180
    threads = [threading.Thread(target=customer, args=(stack, n, stop, deadline, sent)) for n in range(customers)]
    for thread in threads:
        thread.start()
    time.sleep(before)
    kill(stack, victim)
    time.sleep(after)
    stop.set()
    for thread in threads:
        thread.join()
    return sent


def check_nothing_lost(stack, sent: List[Sent], victim: str) -> None:
    """Sent = stored = answered, exactly: every message stored once, answered once, with its answer."""
    conversations = sorted({m.conversation_id for m in sent})
    with session_scope(stack.database_url) as s:
        rows = s.execute(select(Message).where(Message.conversation_id.in_(conversations))
                         .order_by(Message.id)).scalars().all()
    customer_rows = [m for m in rows if m.sender == "customer"]
    for conversation in conversations:
        assert [m.client_id for m in customer_rows if m.conversation_id == conversation] \
            == [m.client_id for m in sent if m.conversation_id == conversation], "each message stored once, in order"
    answered = [m for m in customer_rows if m.answered_at is not None]
    faq_answers = [m for m in rows if m.sender == "bot" and m.text != BOT_DOWN]
    assert [m.answer for m in sent] == [m.expected for m in sent], "every customer got the exact answer"
    assert (len(sent), len(customer_rows), len(answered), len(faq_answers)) == (len(sent),) * 4
    assert sorted(m.text for m in faq_answers) == sorted(m.expected for m in sent), "each answered once"
    retried = [m for m in sent if m.tries]
    kinds = sorted({t for m in retried for t in m.tries})
    FIGURES.append(f"{victim} killed under load ({len(conversations)} customers): sent {len(sent)}, stored "
                   f"{len(customer_rows)}, answered {len(answered)}, exact answers {len(sent)}; "
                   f"{len(retried)} sent again ({', '.join(kinds) or 'none'}); "
                   f"{sum(m.text == BOT_DOWN for m in rows)} error replies shown; longest wait for an answer "
                   f"{max(m.waited for m in sent):.1f} s, median {statistics.median(m.waited for m in sent):.2f} s")


def test_killing_one_rasa_instance_mid_load_loses_no_message(scaled):
    victim = f"rasa{scaled.rasa_urls[1].rsplit(':', 1)[1]}"
    sent = under_load(scaled, victim)
    check_nothing_lost(scaled, sent, victim)


def test_killing_one_gateway_mid_load_loses_no_message(scaled):
    victim = f"gateway{scaled.gateway_urls[1].rsplit(':', 1)[1]}"
    sent = under_load(scaled, victim)
    check_nothing_lost(scaled, sent, victim)


def test_a_conversation_left_locked_by_a_killed_instance_is_answered_once_its_ticket_lapses(scaled):
    """A Rasa instance killed in the middle of a turn leaves its lock ticket in Redis, never renewed
    again (bot.rasa_lock). The conversation's next message waits for that ticket to lapse: 10 s.
    With Rasa's own lock store it waited 60 s, past the gateway's 30 s time-out: an error reply."""
    from rasa.core.lock_store import LockStore
    from rasa.core.utils import AvailableEndpoints

    from bot.db import VAR
    from bot.rasa_lock import LIFETIME

    me = scaled.customer(5).via(scaled.gateway_urls[0])
    # The lock store exactly as the Rasa instances have it (their endpoints file): the ticket it
    # issues with its own lifetime is what an instance killed in the middle of a turn leaves.
    port = scaled.rasa_urls[1].rsplit(":", 1)[1]
    left_behind = LockStore.create(AvailableEndpoints.read_endpoints(str(VAR / f"endpoints-{port}.yml")).lock_store)
    left_behind.issue_ticket(me.conversation_id)  # issued, then its instance died: never renewed
    text, expected = FAQS[0]
    began = time.monotonic()
    replies = me.say(text)
    waited = time.monotonic() - began
    assert text_of(replies) == expected
    assert LIFETIME - 1.0 <= waited <= LIFETIME + 4.0, waited
    assert left_behind.get_lock(me.conversation_id) is None
    with session_scope(scaled.database_url) as s:
        rows = s.execute(select(Message).where(Message.conversation_id == me.conversation_id)
                         .order_by(Message.id)).scalars().all()
    assert [(m.sender, m.text) for m in rows][-2:] == [("customer", text), ("bot", expected)]
    FIGURES.append(f"a conversation whose lock a killed Rasa instance held: answered after {waited:.1f} s "
                   f"(its ticket's lifetime {LIFETIME:.0f} s; Rasa's own lock store: 60 s)")
