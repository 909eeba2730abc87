"""After an agent hands the conversation back (or closes it) the bot answers again, correctly,
turn after turn: the tracker is listening and no action loops."""
from __future__ import annotations

import pytest

from tests.stack import text_of

pytestmark = pytest.mark.stack

SHIPPING_FAQ = ("3만 원 이상 주문은 무료배송이고, 그 미만은 배송비 3,000원이에요. 보통 출고 후 1~2일이면 도착하고, "
                "제주·도서산간은 3,000~5,000원이 추가되고 2~3일 더 걸려요. 같은 판매자의 상품은 묶음배송돼요.")
PAYMENT_FAQ_START = "신용카드, 계좌이체, 카카오페이, 네이버페이로 결제할 수 있어요."


def agent_takes(stack, customer):
    assert "상담원에게 연결" in text_of(customer.say("상담원 연결해 주세요"))
    agent = stack.staff("agent1", "agent1234")
    tickets = agent.call("GET", "/api/staff/tickets", params={"status": "queued"}).json()["tickets"]
    ticket = next(t for t in tickets if t["conversation_id"] == customer.conversation_id)
    assert agent.call("POST", f"/api/staff/tickets/{ticket['id']}/claim").status_code == 200
    reply = agent.call("POST", f"/api/staff/tickets/{ticket['id']}/reply", json={"text": "네 고객님, 확인했어요."})
    assert reply.status_code == 200
    return agent, ticket


@pytest.mark.parametrize("finish", ["handback", "close"])
def test_the_bot_answers_every_message_after_the_agent_is_done(stack, finish):
    customer = stack.customer(1)
    agent, ticket = agent_takes(stack, customer)
    assert customer.say("감사합니다") == [], "the agent has the conversation: the bot is silent"
    assert agent.call("POST", f"/api/staff/tickets/{ticket['id']}/{finish}").status_code == 200
    expected_last = "상담이 종료되었어요. 더 도와드릴 일이 있을까요?" if finish == "handback" \
        else "상담이 종료되었어요. 이용해 주셔서 감사해요."
    assert customer.history()[-1]["text"] == expected_last

    # Several turns in a row, each with its own exact answer.
    assert text_of(customer.say("배송비 얼마예요?")) == SHIPPING_FAQ
    order_id = stack.fixture_orders["delivered_3d"]
    status = customer.say(f"{order_id} 배송조회 해주세요")
    assert len(status) == 1 and status[0]["text"].startswith(f"주문번호 {order_id},")
    assert "배송 완료됐어요" in status[0]["text"]
    payment = customer.say("결제 수단 뭐 있어요?")
    assert len(payment) == 1 and payment[0]["text"].startswith(PAYMENT_FAQ_START)


def test_a_second_handoff_after_a_hand_back_opens_a_new_ticket(stack):
    customer = stack.customer(2)
    agent, first = agent_takes(stack, customer)
    assert agent.call("POST", f"/api/staff/tickets/{first['id']}/handback").status_code == 200
    assert text_of(customer.say("배송비 얼마예요?")) == SHIPPING_FAQ
    assert "상담원에게 연결" in text_of(customer.say("다시 상담원 연결해 주세요"))
    tickets = agent.call("GET", "/api/staff/tickets", params={"status": "queued"}).json()["tickets"]
    again = [t for t in tickets if t["conversation_id"] == customer.conversation_id]
    assert len(again) == 1 and again[0]["id"] != first["id"]
