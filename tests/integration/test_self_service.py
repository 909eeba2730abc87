"""Scripted Korean conversations through the gateway's own API, on the real stack.

Each test reads the bot's reply text and then the database. Orders are picked by what
they are (tests.fixtures), from a seed made for today, so the 7-day rule is real.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.db import session_scope
from bot.conversation.models import Conversation
from bot.handoff.models import Ticket
from bot.shop.models import AuditLog, Claim, Order, Status
from tests.fixtures import find_orders
from tests.stack import text_of

pytestmark = pytest.mark.stack


def orders(stack):
    """Customer 1's fixture orders, as seeded (tests change their states)."""
    return stack.fixture_orders


def order_row(stack, order_id):
    """The order (with seller, shipment and events loaded), its claims and audit rows."""
    with session_scope(stack.database_url) as s:
        order = s.get(Order, order_id)
        _ = order.seller, order.items, order.shipment and order.shipment.events
        claims = s.execute(select(Claim).where(Claim.order_id == order_id).order_by(Claim.id)).scalars().all()
        audits = s.execute(select(AuditLog).where(AuditLog.order_id == order_id)).scalars().all()
        return order, claims, audits


def pick(stack, **criteria):
    with session_scope(stack.database_url) as s:
        found = find_orders(s, **criteria)
        for order in found:
            _ = order.shipment and order.shipment.events
        return found


def test_status_of_several_open_orders_offers_buttons_then_tracking(stack):
    me = stack.customer(1)
    replies = me.say("주문한 거 언제 와요?")
    assert "어떤 주문인가요" in text_of(replies)
    assert any("배송중" in b["title"] for b in me.last_buttons)
    shipped = orders(stack)["shipped_out_for_delivery"]
    button = next(b for b in me.last_buttons if shipped in b["payload"])
    answer = text_of(me.say(button["title"], button["payload"]))
    order, _, _ = order_row(stack, shipped)
    assert f"주문번호 {shipped}" in answer and "배송 중" in answer
    assert order.shipment.carrier in answer and order.shipment.tracking_number in answer
    assert order.shipment.events[-1].location in answer


def test_cancel_a_paid_order_after_confirmation(stack):
    me = stack.customer(1)
    paid = orders(stack)["paid_today"]
    before, _, _ = order_row(stack, paid)
    answer = text_of(me.say(f"{paid} 주문 취소해 주세요"))
    assert f"{before.total_amount:,}원" in answer and "취소할까요" in answer
    assert order_row(stack, paid)[0].status == "PAID", "nothing changes before the customer says yes"
    done = text_of(me.say("네"))
    assert "취소했어요" in done
    order, claims, audits = order_row(stack, paid)
    assert order.status == "CANCELLED"
    assert [(c.kind, c.status, c.refund_amount) for c in claims] == [("cancel", "approved", before.total_amount)]
    assert [(a.action, a.actor) for a in audits] == [("cancel", "customer:1")]
    assert audits[0].conversation_id == me.conversation_id


def test_cancel_while_preparing_goes_to_the_seller(stack):
    me = stack.customer(1)
    preparing = orders(stack)["preparing_yesterday"]
    assert "판매자 확인이 필요" in text_of(me.say(f"{preparing}번 주문취소요"))
    answer = text_of(me.press("요청할게요"))
    assert "판매자에게 취소를 요청했어요" in answer
    order, claims, _ = order_row(stack, preparing)
    assert order.status == "CANCEL_REQUESTED" and claims[-1].status == "requested"
    with session_scope(stack.database_url) as s:
        ticket = s.execute(select(Ticket).where(Ticket.order_id == preparing)).scalar_one()
        assert (ticket.target, ticket.kind, ticket.seller_id, ticket.claim_id) == \
            ("seller", "cancel_request", order.seller_id, claims[-1].id)
        assert ticket.deadline_at is not None
        assert s.get(Conversation, ticket.conversation_id).mode == "bot", "seller tickets do not silence the bot"


def test_shipped_order_cannot_be_cancelled(stack):
    me = stack.customer(1)
    shipped = orders(stack)["shipped_picked_up"]
    answer = text_of(me.say(f"{shipped} 취소해주세요"))
    assert "취소할 수 없어요" in answer and "반품" in answer
    assert order_row(stack, shipped)[0].status == "SHIPPED"


def test_change_of_mind_refund_within_seven_days_deducts_the_fee(stack):
    me = stack.customer(1)
    delivered = orders(stack)["delivered_3d"]
    before, _, _ = order_row(stack, delivered)
    fee = before.seller.return_shipping_fee
    answer = text_of(me.say(f"{delivered} 사이즈가 안 맞아서 환불하고 싶어요"))
    assert "3일째" in answer and f"{fee:,}원" in answer and f"{before.total_amount - fee:,}원" in answer
    done = text_of(me.press("신청"))
    assert "반품을 접수했어요" in done
    order, claims, audits = order_row(stack, delivered)
    assert order.status == "RETURN_REQUESTED"
    assert (claims[-1].kind, claims[-1].reason, claims[-1].fee, claims[-1].refund_amount) == \
        ("return", "change_of_mind", fee, before.total_amount - fee)
    assert claims[-1].claim_no in done
    assert [(a.action, a.actor, a.conversation_id, a.before, a.after) for a in audits] == [
        ("return_request", "customer:1", me.conversation_id, {"status": "DELIVERED"},
         {"status": "RETURN_REQUESTED", "claim_no": claims[-1].claim_no, "claim_status": "requested",
          "reason": "change_of_mind", "fee": fee, "refund_amount": before.total_amount - fee})]


def test_defect_refund_asks_the_reason_and_is_free(stack):
    me = stack.customer(1)
    delivered = orders(stack)["delivered_7d"]
    assert "이유" in text_of(me.say(f"{delivered} 환불해 주세요"))
    answer = text_of(me.press("불량"))
    assert "7일째" in answer and "배송비가 들지 않아요" in answer
    me.press("신청")
    _, claims, _ = order_row(stack, delivered)
    assert (claims[-1].reason, claims[-1].fee) == ("defect", 0)


def test_change_of_mind_on_day_eight_is_declined(stack):
    me = stack.customer(1)
    late = orders(stack)["delivered_8d"]
    answer = text_of(me.say(f"{late} 단순변심으로 환불하고 싶어요 마음에 안 들어요"))
    assert "8일이 지나" in answer
    assert order_row(stack, late)[0].status == "DELIVERED"


def test_late_defect_claim_is_handed_to_an_agent(stack):
    me = stack.customer(1)
    old = orders(stack)["delivered_40d"]
    answer = text_of(me.say(f"{old} 제품이 고장났어요 환불해주세요"))
    assert "상담원에게 연결" in answer
    with session_scope(stack.database_url) as s:
        ticket = s.execute(select(Ticket).where(Ticket.order_id == old)).scalar_one()
        assert (ticket.target, ticket.reason, ticket.status) == ("agent", "late_defect", "queued")
        assert ticket.context["customer"]["id"] == 1
        assert ticket.context["intent"]["name"] == "request_refund"
        assert s.get(Conversation, ticket.conversation_id).mode == "agent"
    # While the agent has it, the bot stays silent.
    assert me.say("여보세요?") == []


def test_refund_status_of_a_refunded_order(stack):
    me = stack.customer(1)
    refunded = orders(stack)["refunded"]
    _, claims, _ = order_row(stack, refunded)
    answer = text_of(me.say(f"{refunded} 환불 언제 들어와요?"))
    assert claims[-1].claim_no in answer and f"{claims[-1].refund_amount:,}원" in answer
    assert "환불 완료" in answer or "환불이 완료" in answer


def test_address_change_of_a_paid_order(stack):
    customer = next(o.customer_id for o in pick(stack, status=Status.PAID, guest=False) if o.customer_id != 1)
    paid = pick(stack, status=Status.PAID, customer_id=customer)[0].id
    me = stack.customer(customer)
    assert "새 배송지" in text_of(me.say(f"{paid} 배송지 바꿀 수 있나요?"))
    assert "알아보지 못했어요" in text_of(me.say("몰라요"))
    answer = text_of(me.say("서울시 마포구 월드컵로 12 3층"))
    assert "서울시 마포구 월드컵로 12 3층" in answer and "바꿀까요" in answer
    assert "변경했어요" in text_of(me.say("네"))
    order, _, audits = order_row(stack, paid)
    assert order.shipping_address == "서울시 마포구 월드컵로 12 3층"
    assert audits[-1].action == "address_change" and audits[-1].after["shipping_address"] == order.shipping_address


def test_another_customers_order_reveals_nothing(stack):
    other = next(o for o in pick(stack, status=Status.PAID, guest=False) if o.customer_id != 1)
    me = stack.customer(1)
    answer = text_of(me.say(f"{other.id} 주문 취소해 주세요"))
    unknown = text_of(me.say("20261101999999 주문 취소해 주세요"))
    assert answer.replace(other.id, "X") == unknown.replace("20261101999999", "X")
    assert other.orderer_name not in answer and not re.search(r"\d원", answer)
    me.say("네")
    assert order_row(stack, other.id)[0].status == "PAID"


def test_guest_verifies_with_phone_digits_and_wrong_digits_reveal_nothing(stack):
    order = pick(stack, guest=True, status=Status.SHIPPED)[0]
    digits = order.orderer_phone[-4:]
    wrong = "0000" if digits != "0000" else "1111"
    guest = stack.customer()
    assert "주문번호" in text_of(guest.say("비회원인데 주문조회 하려구요"))
    assert "뒷자리" in text_of(guest.say(f"{order.id}이요"))
    wrong_answer = text_of(guest.say(wrong))
    guest.say("배송조회요")
    guest.say("20261101999999")
    missing_answer = text_of(guest.say("1234"))
    assert wrong_answer == missing_answer and "찾지 못했어요" in wrong_answer
    guest.say("배송조회요")
    guest.say(order.id)
    answer = text_of(guest.say(f"뒷자리 {digits}요"))
    assert order.shipment.tracking_number in answer


def test_five_guest_failures_lock_lookups(stack):
    order = pick(stack, guest=True, status=Status.PAID)[0]
    guest = stack.customer()
    for _ in range(5):
        guest.say(f"{order.id} 주문 조회요")
        answer = text_of(guest.say("9999" if order.orderer_phone[-4:] != "9999" else "8888"))
    assert "잠시 잠겼어요" in answer
    guest.say(f"{order.id} 주문 조회요")
    answer = text_of(guest.say(order.orderer_phone[-4:]))
    assert "잠시 잠겼어요" in answer and order.id not in answer


def test_faq_is_answered_by_the_response_selector(stack):
    me = stack.customer()
    assert "무이자 할부" in text_of(me.say("카드 할부 몇개월까지 되나요?"))
    assert "무료배송" in text_of(me.say("배송비는 얼마예요?"))


def test_two_fallbacks_in_a_row_hand_off(stack):
    me = stack.customer(2)
    first = text_of(me.say("그거 말고 저번에 그거요"))
    second = [r["text"] for r in me.say("아니 그러니까 그거 그거")]
    assert "이해하지 못했어요" in first or "도와드리기 어려워요" in first
    assert second[0] == "계속 이해하지 못해 죄송해요. 상담원에게 연결해 드릴게요."
    # then the desk's note, which depends on the hour: the place in the queue, or when agents are back
    assert len(second) == 2 and re.fullmatch(r"상담원이 곧 답변드릴게요\. \(대기 \d+명\)|지금은 상담 시간\(평일 "
                                             r"09:00~18:00\)이 아니에요\. 문의를 남겨 주시면 .+ 이후 상담원이 "
                                             r"순서대로 답변드려요\.", second[1])
    with session_scope(stack.database_url) as s:
        tickets = s.execute(select(Ticket).where(Ticket.conversation_id == me.conversation_id)).scalars().all()
        assert [(t.target, t.reason, t.status) for t in tickets] == [("agent", "fallback", "queued")]


@pytest.mark.parametrize("text", [
    "😀😀😀",
    "<script>alert('x')</script><b>주문</b>",
    "'; DROP TABLE orders; --",
    "2026111800034 주문 취소요",
    "가" * 5000,
])
def test_bad_input_gets_a_clear_korean_reply(stack, text):
    me = stack.customer()
    replies = me.say(text)
    assert replies, "every message gets an answer"
    assert all(any("가" <= ch <= "힣" for ch in r["text"]) for r in replies)
    history = me.history()
    assert history[0]["text"] == text, "stored exactly as typed"
    with session_scope(stack.database_url) as s:
        assert s.execute(select(func.count(Order.id))).scalar() > 0


def test_empty_message_is_refused_with_a_reason(stack):
    me = stack.customer()
    resp = me.http.post(stack.base_url + "/api/conversation/messages", json={"text": "   "})
    assert resp.status_code == 400 and "입력" in resp.json()["error"]


def test_typed_intent_payloads_are_not_obeyed(stack):
    me = stack.customer(1)
    paid = pick(stack, status=Status.PAID, customer_id=1)
    answer = text_of(me.say('/affirm'))
    assert "취소했어요" not in answer
    forged = me.say("네", payload='/inform{"order_id": "%s"}' % (paid[0].id if paid else "20261101000001"))
    assert "취소했어요" not in text_of(forged)
