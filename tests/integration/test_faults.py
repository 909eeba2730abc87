"""Pulling plugs on the real, supervised stack, each time with a customer in the middle of a
confirmation (the cancel of a PAID order asked, 「취소할까요?」, and 「네」 the next message).

For every fault: each customer message gets one clear answer, or a clear error and then the
answer when the same message (same client id) is sent again; no message is lost or doubled
(one customer row per client id, one claim, one audit row); the supervisor brings the killed
process back by itself (the recovery time is printed: run with -s); the cancel completes.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import List, Optional

import pytest
import requests
from sqlalchemy import func, select

from bot.conversation.models import Message
from bot.conversation.service import AGENT_BUTTON, BOT_DOWN
from bot.db import session_scope
from bot.shop.models import AuditLog, Claim, Order, Status
from tests.databases import Databases
from tests.fixtures import find_orders
from tests.stack import MODEL, free_port, text_of

pytestmark = pytest.mark.stack
FIGURES: List[str] = []


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """A stack of its own (its database, its trackers), supervised with a short back-off."""
    from bot.stack import stop_stack
    from tests.stack import start

    tmp = tmp_path_factory.mktemp("faults")
    dbs = Databases(tmp)
    running, supervisor = start(tmp, dbs.create(), supervision={"min_backoff": 0.5})
    try:
        yield running
    finally:
        stop_stack(supervisor)
        dbs.drop_all()
        print("\n" + "\n".join(FIGURES))


@pytest.fixture(scope="module")
def paid_orders(faulty):
    """One PAID order per member, so that each test has its own customer and order."""
    with session_scope(faulty.database_url) as s:
        seen, found = set(), []
        for order in find_orders(s, status=Status.PAID, guest=False):
            if order.customer_id not in seen:
                seen.add(order.customer_id)
                found.append((order.customer_id, order.id, order.total_amount))
    return iter(found)


def kill(stack, name: str) -> float:
    """SIGKILL one supervised process (its whole group); returns when it is gone."""
    child = stack.supervisor.child(name)
    proc = child.proc
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return time.monotonic()


def wait_serving(stack, name: str, since: float, timeout: float = 240) -> float:
    """Until the supervisor has restarted `name` and it answers; the seconds since `since`."""
    child = stack.supervisor.child(name)
    deadline = time.monotonic() + timeout
    while not (child.proc is not None and child.serving and child.restarts > 0):
        assert time.monotonic() < deadline, f"{name} did not come back within {timeout} s"
        time.sleep(0.1)
    return time.monotonic() - since


def ask_cancel(stack, customer_id: int, order_id: str):
    me = stack.customer(customer_id)
    question = text_of(me.say(f"{order_id} 주문 취소해 주세요"))
    assert "바로 취소할 수 있어요" in question and "취소할까요?" in question
    return me


def effects(stack, conversation_id: str, order_id: str) -> dict:
    """What the database holds: the order, its claims and audit rows, the conversation's messages."""
    with session_scope(stack.database_url) as s:
        rows = s.execute(select(Message).where(Message.conversation_id == conversation_id)
                         .order_by(Message.id)).scalars().all()
        customer = [m for m in rows if m.sender == "customer"]
        return {
            "status": s.get(Order, order_id).status,
            "claims": [(c.kind, c.status) for c in s.execute(select(Claim).where(Claim.order_id == order_id))
                       .scalars()],
            "audits": [a.action for a in s.execute(select(AuditLog).where(AuditLog.order_id == order_id))
                       .scalars()],
            "customer_rows": [(m.text, m.client_id) for m in customer],
            "doubled": s.execute(select(func.count()).select_from(
                select(Message.client_id).where(Message.conversation_id == conversation_id,
                                                Message.client_id.is_not(None))
                .group_by(Message.client_id).having(func.count() > 1).subquery())).scalar_one(),
            "bot_texts": [m.text for m in rows if m.sender == "bot"],
        }


def assert_cancelled_once(stack, me, order_id: str, amount: int, client_ids: List[str]) -> dict:
    done = effects(stack, me.conversation_id, order_id)
    assert done["status"] == "CANCELLED"
    assert done["claims"] == [("cancel", "approved")] and done["audits"] == ["cancel"]
    assert [client for _, client in done["customer_rows"]] == client_ids, "every message stored once, in order"
    assert done["doubled"] == 0
    assert sum("취소했어요" in text for text in done["bot_texts"]) == 1, "answered once"
    assert f"{amount:,}원이 환불돼요" in next(t for t in done["bot_texts"] if "취소했어요" in t)
    return done


def test_action_server_killed_while_a_cancel_waits_for_yes(faulty, paid_orders):
    customer_id, order_id, amount = next(paid_orders)
    me = ask_cancel(faulty, customer_id, order_id)
    killed_at = kill(faulty, "actions")
    yes = uuid.uuid4().hex

    # Rasa cannot run the confirmation: before, the customer got no reply at all.
    replies = me.say("네", client_id=yes)
    assert [(r["sender"], r["text"], r["buttons"]) for r in replies] == [("bot", BOT_DOWN, [AGENT_BUTTON])]
    assert effects(faulty, me.conversation_id, order_id)["status"] == "PAID", "nothing written"

    recovery = wait_serving(faulty, "actions", killed_at)
    answer = text_of(me.say("네", client_id=yes))  # the same message again: the confirmation was kept
    assert answer.startswith("취소했어요.") and f"{amount:,}원" in answer
    assert_cancelled_once(faulty, me, order_id, amount, [me_first_client(faulty, me), yes])
    FIGURES.append(f"action server killed: error + agent offer, then answered on retry; "
                   f"back in {recovery:.1f} s; 0 lost, 0 doubled")


def test_rasa_killed_while_a_cancel_waits_for_yes(faulty, paid_orders):
    customer_id, order_id, amount = next(paid_orders)
    me = ask_cancel(faulty, customer_id, order_id)
    rasa = next(c.name for c in faulty.supervisor.children if c.name.startswith("rasa"))
    killed_at = kill(faulty, rasa)
    yes = uuid.uuid4().hex

    replies = me.say("네", client_id=yes)
    assert [(r["sender"], r["text"], r["buttons"]) for r in replies] == [("bot", BOT_DOWN, [AGENT_BUTTON])]

    recovery = wait_serving(faulty, rasa, killed_at)
    # A new Rasa process: the pending 「취소할까요?」 comes back from the SQL tracker store.
    answer = text_of(me.say("네", client_id=yes))
    assert answer.startswith("취소했어요.") and f"{amount:,}원" in answer
    assert_cancelled_once(faulty, me, order_id, amount, [me_first_client(faulty, me), yes])
    FIGURES.append(f"Rasa killed: error + agent offer, then answered on retry by the restarted Rasa; "
                   f"back in {recovery:.1f} s; 0 lost, 0 doubled")


def test_gateway_killed_in_the_middle_of_the_yes_turn(faulty, paid_orders):
    customer_id, order_id, amount = next(paid_orders)
    me = ask_cancel(faulty, customer_id, order_id)
    conversation_id, yes = me.conversation_id, uuid.uuid4().hex
    outcome: dict = {}

    def send_yes():
        try:
            outcome["response"] = me.send("네", client_id=yes, timeout=30)
        except requests.RequestException as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=send_yes)
    sender.start()
    # Kill the gateway once it has stored 「네」 and is waiting for Rasa's answer.
    deadline = time.monotonic() + 10
    while not stored(faulty, conversation_id, yes):
        assert time.monotonic() < deadline, "the gateway never stored the message"
        time.sleep(0.002)
    killed_at = kill(faulty, "gateway")
    sender.join()
    with session_scope(faulty.database_url) as s:
        row = s.execute(select(Message).where(Message.client_id == yes)).scalar_one()
        cut_off = row.answered_at is None
    assert "error" in outcome, "the customer's request failed with the gateway"
    assert cut_off, "killed mid-turn: the answer was not stored yet"

    # The widget sends the same message again until the gateway answers.
    attempts, resp = 0, None
    while resp is None or resp.status_code >= 500:
        attempts += 1
        try:
            resp = me.send("네", client_id=yes, timeout=30)
        except requests.ConnectionError:
            resp = None
            assert time.monotonic() - killed_at < 120, "the gateway did not come back"
            time.sleep(0.5)
    recovery = time.monotonic() - killed_at
    assert resp.status_code == 200
    body = resp.json()
    assert body["message"]["id"] == row.id and body["message"]["client_id"] == yes
    answer = text_of(body["replies"])
    assert answer.startswith("취소했어요.") and f"{amount:,}원" in answer, "Rasa's answer to the cut-off turn"
    assert_cancelled_once(faulty, me, order_id, amount, [me_first_client(faulty, me), yes])
    # Once more: an answered message is answered from storage, nothing runs again.
    again = me.send("네", client_id=yes).json()
    assert again == body
    assert_cancelled_once(faulty, me, order_id, amount, [me_first_client(faulty, me), yes])
    FIGURES.append(f"gateway killed mid-turn: request failed, retry answered after {attempts} attempts; "
                   f"back in {recovery:.1f} s; 0 lost, 0 doubled")


def test_rasa_answers_a_message_sent_again_from_its_tracker_without_a_second_turn(faulty):
    """Rasa's channel (bot/rasa_channel.py), as the gateway uses it: a message sent again with its
    id gets the first answer, read back from the tracker, and runs no second turn."""
    import yaml

    from bot.db import ROOT

    faq = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]["utter_faq/shipping_policy"][0]["text"]
    sender = f"resend-{uuid.uuid4().hex[:8]}"

    def send(message_id: str) -> list:
        resp = requests.post(f"{faulty.rasa_url}/webhooks/rest/webhook", timeout=60, json={
            "sender": sender, "message": "배송비 얼마예요?", "metadata": {"guest": True}, "message_id": message_id})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def turns() -> list:
        events = requests.get(f"{faulty.rasa_url}/conversations/{sender}/tracker",
                              params={"token": faulty.rasa_token}, timeout=30).json()["events"]
        return [e.get("message_id") for e in events if e["event"] == "user"]

    first = send("m1")
    assert text_of(first) == faq
    assert send("m1") == first, "the same answer, read back"
    assert turns() == ["m1"], "one turn, not two"
    assert text_of(send("m2")) == faq
    assert turns() == ["m1", "m2"]


def test_the_rasa_token_is_on_no_command_line(faulty):
    for child in faulty.supervisor.children:
        cmdline = Path(f"/proc/{child.proc.pid}/cmdline").read_bytes().decode()
        assert faulty.rasa_token not in cmdline, child.name


def stored(stack, conversation_id: str, client_id: str) -> bool:
    with session_scope(stack.database_url) as s:
        return s.execute(select(Message.id).where(Message.conversation_id == conversation_id,
                                                  Message.client_id == client_id)).first() is not None


def me_first_client(stack, me) -> Optional[str]:
    """The client id of the customer's first message (the cancel request)."""
    with session_scope(stack.database_url) as s:
        return s.execute(select(Message.client_id).where(Message.conversation_id == me.conversation_id,
                                                         Message.sender == "customer")
                         .order_by(Message.id)).scalars().first()


# --- python -m bot run: SIGTERM during start-up ------------------------------------------------

def children_of(pid: int) -> List[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0])
    except OSError:
        return False
    return state != "Z"


def port_free(port: int) -> bool:
    """Nobody listens on it: a new server (which sets SO_REUSEADDR, as Sanic and Rasa do) can bind it.
    Without the option a closed connection's TIME_WAIT would also count as taken."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def test_sigterm_during_start_up_stops_every_child(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}")
    ports = [free_port(), free_port(), free_port()]
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'shop.db'}",
               TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'trackers.db'}")
    run = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(ports[0]), "--rasa-port",
                            str(ports[1]), "--action-port", str(ports[2]), "--model", str(MODEL)],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while len(children_of(run.pid)) < 3:  # actions, Rasa and gateway spawned; Rasa still loading
            assert run.poll() is None and time.monotonic() < deadline, run.stdout.read() if run.poll() else "slow"
            time.sleep(0.1)
        children = children_of(run.pid)
        time.sleep(1)
        run.send_signal(signal.SIGTERM)
        out, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert "stopped during start-up; every process is stopped" in out
    assert run.returncode == 0
    assert [pid for pid in children if alive(pid)] == [], "no orphans"
    assert all(port_free(port) for port in ports), "no port kept"
    FIGURES.append(f"SIGTERM during start-up: {len(children)} children stopped, 0 orphans")
