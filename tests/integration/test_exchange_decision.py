"""Exchange requests are decided: by the seller, or by an agent once the seller's ticket has escalated.

Each customer asks for the exchange by typing; the decision goes through the staff API of the
real stack, and the claim, the order, the audit row and the customer's chat are checked.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.conversation.broker import Broker
from bot.conversation.service import Chat
from bot.db import session_scope, utcnow
from bot.handoff.desk import DECISIONS, Desk
from bot.handoff.hooks import ConsoleHook
from bot.shop.models import AuditLog, Claim, Order, Status
from tests.fixtures import find_orders
from tests.integration.test_handoff import seller_login, ticket_of
from tests.stack import text_of

pytestmark = pytest.mark.stack


def delivered(stack, customer_id: int, product: str) -> Order:
    with session_scope(stack.database_url) as s:
        return next(o for o in find_orders(s, customer_id=customer_id, status=Status.DELIVERED)
                    if o.items[0].product_name.startswith(product))


def exchange_rows(stack, order_id: str):
    with session_scope(stack.database_url) as s:
        order = s.get(Order, order_id)
        claims = s.execute(select(Claim).where(Claim.order_id == order_id)).scalars().all()
        audits = s.execute(select(AuditLog).where(AuditLog.order_id == order_id).order_by(AuditLog.id)).scalars().all()
        return order.status, [(c.kind, c.status) for c in claims], [(a.action, a.actor) for a in audits]


def request_exchange(stack, customer_id: int, order: Order):
    customer = stack.customer(customer_id)
    assert "교환할 수 있어요" in text_of(customer.say(f"{order.id} 교환하고 싶어요 다른 색으로요"))
    assert "판매자에게 교환을 요청했어요" in text_of(customer.say("네 요청해 주세요"))
    return customer


def test_the_seller_approves_an_exchange(stack):
    battery = delivered(stack, 8, "보조배터리")
    customer = request_exchange(stack, 8, battery)
    seller = seller_login(stack, battery.seller_id)
    ticket = ticket_of(seller, customer.conversation_id)
    assert (ticket["kind"], ticket["target"]) == ("exchange", "seller")
    decided = seller.call("POST", f"/api/staff/tickets/{ticket['id']}/decision", json={"approve": True})
    assert decided.status_code == 200 and decided.json()["ticket"]["status"] == "resolved"
    status, claims, audits = exchange_rows(stack, battery.id)
    assert (status, claims) == ("EXCHANGE_REQUESTED", [("exchange", "approved")])
    assert audits[-1] == ("exchange_approve", f"seller:{seller.user['id']}")
    last = customer.history()[-1]
    assert (last["sender"], last["text"]) == ("seller", DECISIONS[("exchange", True)])
    again = seller.call("POST", f"/api/staff/tickets/{ticket['id']}/decision", json={"approve": False})
    assert again.status_code in (400, 409) and exchange_rows(stack, battery.id)[1] == [("exchange", "approved")]


def test_after_an_escalation_an_agent_rejects_the_exchange(stack):
    pillow = delivered(stack, 4, "극세사 베개커버")
    customer = request_exchange(stack, 4, pillow)
    seller = seller_login(stack, pillow.seller_id)
    ticket = ticket_of(seller, customer.conversation_id)
    # The gateway's minute loop runs this same function; here with a clock a day and an hour on.
    desk = Desk(url=stack.database_url, chat=Chat(url=stack.database_url, rasa=None, broker=Broker()),
                hook=ConsoleHook(), clock=lambda: utcnow() + timedelta(hours=25))
    assert ticket["id"] in desk.escalate_overdue()
    agent = stack.staff("agent2", "agent1234")
    escalated = ticket_of(agent, customer.conversation_id)
    assert (escalated["id"], escalated["target"], escalated["escalated"]) == (ticket["id"], "agent", True)
    late = seller.call("POST", f"/api/staff/tickets/{ticket['id']}/decision", json={"approve": True})
    assert late.status_code == 403
    decided = agent.call("POST", f"/api/staff/tickets/{ticket['id']}/decision", json={"approve": False})
    assert decided.status_code == 200
    status, claims, audits = exchange_rows(stack, pillow.id)
    assert (status, claims) == ("DELIVERED", [("exchange", "rejected")])
    assert audits[-1] == ("exchange_reject", f"agent:{agent.user['id']}")
    assert customer.history()[-1]["text"] == DECISIONS[("exchange", False)]
