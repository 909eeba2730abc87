"""The help desk on a real database with a fake clock: tickets, routing, authorization, deadlines.

(Hand-back and close talk to Rasa: they are covered on the real stack in tests/integration.)
"""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot import db as bot_db
from bot.conversation.broker import Broker
from bot.conversation.models import Conversation, Message
from bot.conversation.service import STAFF_CHANNEL, Chat, conversation_channel
from bot.handoff.desk import Desk, Forbidden, NotFound, Refused, seller_text
from bot.handoff.hooks import ConsoleHook
from bot.handoff.models import StaffUser, Ticket
from bot.shop import repo
from bot.shop.models import AuditLog, Order, Status
from tests.fixtures import find_order, find_orders

FRIDAY_10_KST = datetime(2026, 11, 27, 1, 0)  # naive UTC
FRIDAY_19_KST = datetime(2026, 11, 27, 10, 0)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def desk(new_db_url):
    from bot.demo import seed

    url = new_db_url()
    with bot_db.session_scope(url) as s:
        seed(s, FRIDAY_10_KST)
    broker = Broker()
    chat = Chat(url=url, rasa=None, broker=broker)
    desk = Desk(url=url, chat=chat, hook=ConsoleHook(), clock=Clock(FRIDAY_10_KST))
    chat.handoff = desk
    return desk


def staff(desk, username: str) -> dict:
    with bot_db.session_scope(desk.url) as s:
        u = s.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one()
        return {"id": u.id, "role": u.role, "seller_id": u.seller_id, "display_name": u.display_name}


def handoff(desk, customer_id=1, **payload) -> tuple:
    conversation_id = desk.chat.start_conversation(customer_id)
    desk.chat.post(conversation_id, "customer", "상담원 연결해 주세요")
    body = {"target": "agent", "reason": "requested", "intent": {"name": "request_human", "confidence": 0.98},
            "slots": {"order_id": None}, **payload}
    told = desk.open_ticket(conversation_id, body)
    with bot_db.session_scope(desk.url) as s:
        ticket = s.execute(select(Ticket).where(Ticket.conversation_id == conversation_id)).scalars().first()
        return conversation_id, ticket.id if ticket else None, told


def test_agent_handoff_queues_a_ticket_with_context_and_silences_the_bot(desk):
    staff_events = desk.chat.broker.subscribe(STAFF_CHANNEL)
    conversation_id, ticket_id, told = handoff(desk)
    with bot_db.session_scope(desk.url) as s:
        ticket = s.get(Ticket, ticket_id)
        assert (ticket.status, ticket.target, ticket.reason) == ("queued", "agent", "requested")
        assert ticket.context["customer"]["id"] == 1 and ticket.context["intent"]["name"] == "request_human"
        assert s.get(Conversation, conversation_id).mode == "agent"
    assert "대기 1명" in told[0]["text"]
    events = [staff_events.get_nowait() for _ in range(staff_events.qsize())]
    assert any(e["type"] == "ticket" and e["ticket"]["id"] == ticket_id for e in events)


def test_outside_cs_hours_the_customer_is_told_when_an_agent_answers(desk):
    desk.clock.now = FRIDAY_19_KST
    _, _, told = handoff(desk)
    assert "상담 시간(평일 09:00~18:00)" in told[0]["text"] and "월요일 오전 9시" in told[0]["text"]


def test_a_second_agent_handoff_in_the_same_conversation_adds_no_ticket(desk):
    conversation_id, first, _ = handoff(desk)
    assert desk.open_ticket(conversation_id, {"target": "agent", "reason": "fallback"}) == []
    with bot_db.session_scope(desk.url) as s:
        assert len(s.execute(select(Ticket).where(Ticket.conversation_id == conversation_id)).all()) == 1


def test_claim_reply_and_authorization(desk):
    conversation_id, ticket_id, _ = handoff(desk)
    kim, lee = staff(desk, "agent1"), staff(desk, "agent2")
    customer_events = desk.chat.broker.subscribe(conversation_channel(conversation_id))
    assert desk.claim(ticket_id, kim)["status"] == "assigned"
    with pytest.raises(Refused):
        desk.claim(ticket_id, lee)
    with pytest.raises(Forbidden):
        desk.reply(ticket_id, lee, "제가 답할게요")
    message = desk.reply(ticket_id, kim, "안녕하세요, 상담원 김하늘입니다.")
    assert (message["sender"], message["author"]) == ("agent", "김하늘")
    pushed = customer_events.get_nowait()
    assert pushed == {"type": "message", "message": message}
    with pytest.raises(Refused):
        desk.reply(ticket_id, kim, "   ")


def test_an_author_has_no_place_at_the_desk(desk):
    _, ticket_id, _ = handoff(desk)
    author = staff(desk, "author1")
    assert author["role"] == "author"
    with pytest.raises(Forbidden):
        desk.list_tickets(author, "queued")
    for act in (lambda: desk.ticket_detail(ticket_id, author), lambda: desk.claim(ticket_id, author),
                lambda: desk.reply(ticket_id, author, "제가 답할게요")):
        with pytest.raises(Forbidden):
            act()
    assert desk.staff_frames(author, {"type": "ticket", "ticket": {"id": ticket_id, "seller_id": None}}) == []


def test_notes_stay_internal(desk):
    conversation_id, ticket_id, _ = handoff(desk)
    kim = staff(desk, "agent1")
    desk.note(ticket_id, kim, "환불 규정 확인 필요")
    assert all(m["text"] != "환불 규정 확인 필요" for m in desk.chat.messages_after(conversation_id))
    assert desk.ticket_detail(ticket_id, kim)["notes"][0]["text"] == "환불 규정 확인 필요"


def seller_ticket(desk, kind="question", with_claim=False):
    with bot_db.session_scope(desk.url) as s:
        order = find_order(s, customer_id=1, status=Status.PREPARING)
        order_id, seller_id = order.id, order.seller_id
        claim_id = None
        if with_claim:
            cancel = repo.request_cancel(s, order, "customer:1", None, FRIDAY_10_KST)
            s.flush()
            claim_id = cancel.id
    conversation_id = desk.chat.start_conversation(1)
    desk.open_ticket(conversation_id, {"target": "seller", "reason": "cancel_request" if with_claim else "product_question",
                                       "kind": kind, "order_id": order_id, "seller_id": seller_id,
                                       "claim_id": claim_id})
    with bot_db.session_scope(desk.url) as s:
        ticket = s.execute(select(Ticket).where(Ticket.conversation_id == conversation_id)).scalar_one()
        seller_user = s.execute(select(StaffUser).where(StaffUser.seller_id == seller_id)).scalar_one()
        other = s.execute(select(StaffUser).where(StaffUser.role == "seller",
                                                  StaffUser.seller_id != seller_id)).scalars().first()
        return conversation_id, ticket.id, order_id, staff(desk, seller_user.username), staff(desk, other.username)


def test_seller_tickets_go_to_the_orders_seller_only(desk):
    conversation_id, ticket_id, _, mine, other = seller_ticket(desk)
    with bot_db.session_scope(desk.url) as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket.deadline_at == FRIDAY_10_KST + timedelta(hours=24)
        assert s.get(Conversation, conversation_id).mode == "bot"
    assert [t["id"] for t in desk.list_tickets(mine, "queued")] == [ticket_id]
    assert desk.list_tickets(other, "queued") == []
    with pytest.raises(NotFound):
        desk.ticket_detail(ticket_id, other)
    with pytest.raises(NotFound):
        desk.reply(ticket_id, other, "저희 상품 아니에요")
    assert desk.reply(ticket_id, mine, "다음 주 수요일에 재입고 예정입니다.")["sender"] == "seller"


def test_overdue_seller_tickets_escalate_to_the_cs_queue(desk):
    conversation_id, ticket_id, _, mine, _ = seller_ticket(desk)
    desk.clock.now = FRIDAY_10_KST + timedelta(hours=23, minutes=59)
    assert desk.escalate_overdue() == []
    desk.clock.now = FRIDAY_10_KST + timedelta(hours=24)
    assert desk.escalate_overdue() == [ticket_id]
    with bot_db.session_scope(desk.url) as s:
        ticket = s.get(Ticket, ticket_id)
        assert (ticket.target, ticket.status, ticket.escalated_at) == ("agent", "queued", desk.clock.now)
    assert "상담원이 대신" in desk.chat.messages_after(conversation_id)[-1]["text"]
    with pytest.raises(Forbidden):
        desk.reply(ticket_id, mine, "늦었지만 답변드려요")
    assert desk.escalate_overdue() == [], "escalated once"


def test_seller_approves_a_cancel_request(desk):
    conversation_id, ticket_id, order_id, mine, other = seller_ticket(desk, kind="cancel_request", with_claim=True)
    with pytest.raises(NotFound):
        desk.decide(ticket_id, other, True)
    desk.decide(ticket_id, mine, True)
    with bot_db.session_scope(desk.url) as s:
        assert s.get(Order, order_id).status == "CANCELLED"
        audit = s.execute(select(AuditLog).where(AuditLog.order_id == order_id)
                          .order_by(AuditLog.id.desc())).scalars().first()
        assert audit.actor == f"seller:{mine['id']}"
        assert s.get(Ticket, ticket_id).status == "resolved"
    told = desk.chat.messages_after(conversation_id)[-1]
    assert told["sender"] == "seller" and "취소를 승인" in told["text"]
    with pytest.raises(Refused):
        desk.decide(ticket_id, mine, False)


def test_seller_rejects_a_cancel_request(desk):
    _, ticket_id, order_id, mine, _ = seller_ticket(desk, kind="cancel_request", with_claim=True)
    desk.decide(ticket_id, mine, False)
    with bot_db.session_scope(desk.url) as s:
        assert s.get(Order, order_id).status == "PREPARING"


def test_the_queue_lists_many_tickets_in_a_fixed_number_of_queries(desk):
    from sqlalchemy import event

    for customer_id in (1, 2, 3, 4, 5):
        handoff(desk, customer_id=customer_id)
    engine = bot_db.get_engine(desk.url)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        tickets = desk.list_tickets(staff(desk, "agent1"), "queued")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(tickets) == 5 and len(statements) <= 6
    from bot.shop.models import Customer

    with bot_db.session_scope(desk.url) as s:
        names = {s.get(Customer, i).name for i in (1, 2, 3, 4, 5)}
    assert {t["customer_name"] for t in tickets} == names
    assert all(t["last_message"] == "상담원 연결해 주세요" for t in tickets)


def test_a_staff_socket_sees_agents_everything_and_a_seller_only_its_own_tickets(desk):
    conversation_id, ticket_id, _, mine, other = seller_ticket(desk)
    agent = staff(desk, "agent1")
    message = desk.chat.post(conversation_id, "customer", "재입고 언제 되나요?")
    [summary] = desk.list_tickets(mine, "queued")
    assert (summary["status_label"], summary["reason_label"]) == ("대기", "상품 문의")
    ticket_event = {"type": "ticket", "ticket": summary}
    message_event = {"type": "message", "conversation_id": conversation_id, "message": message}
    note_event = {"type": "note", "ticket_id": ticket_id, "note": {"text": "확인 중"}}
    for user in (agent, mine):
        assert desk.staff_frames(user, ticket_event) == [ticket_event]
        assert desk.staff_frames(user, message_event) == [dict(message_event, ticket_id=ticket_id)]
        assert desk.staff_frames(user, note_event) == [note_event]
    assert desk.staff_frames(other, ticket_event) == []
    assert desk.staff_frames(other, message_event) == []
    assert desk.staff_frames(other, note_event) == []


# --------------------------------------------------------------------------- what a seller sees


def leaks_in(texts, secrets) -> list:
    """Which of `secrets` (other orders' numbers, tracking numbers, later messages) appear."""
    blob = "\n".join(texts)
    return [secret for secret in secrets if secret in blob]


def busy_seller_conversation(desk):
    """Customer 1 asks the bot about another seller's order, hands a product question to the
    seller of their PREPARING order, keeps asking the bot about the other order meanwhile,
    and types a new address after the seller closed the ticket."""
    with bot_db.session_scope(desk.url) as s:
        mine_order = find_order(s, customer_id=1, status=Status.PREPARING)
        other = next(o for o in find_orders(s, customer_id=1) if o.seller_id != mine_order.seller_id and o.shipment)
        order_id, seller_id = mine_order.id, mine_order.seller_id
        other_id, other_tracking = other.id, other.shipment.tracking_number
    conversation_id = desk.chat.start_conversation(1)
    post = desk.chat.post
    post(conversation_id, "customer", f"{other_id} 배송조회요")
    post(conversation_id, "bot", f"주문 {other_id}는 배송중이에요. 송장번호 {other_tracking}")
    post(conversation_id, "customer", f"{order_id} 이 상품 재입고 언제 되나요?")
    post(conversation_id, "bot", "판매자에게 문의를 전달했어요.")
    desk.open_ticket(conversation_id, {"target": "seller", "reason": "product_question", "kind": "question",
                                       "order_id": order_id, "seller_id": seller_id, "claim_id": None,
                                       "intent": {"name": "ask_seller", "confidence": 0.9},
                                       "slots": {"order_id": order_id, "scenario": "seller",
                                                 "verified_order": other_id, "new_address": "서울시 강남구 테헤란로 1"}})
    post(conversation_id, "customer", f"그리고 {other_id} 송장 {other_tracking} 맞나요?")
    post(conversation_id, "bot", f"네, {other_tracking} 맞아요.")
    with bot_db.session_scope(desk.url) as s:
        ticket_id = s.execute(select(Ticket.id).where(Ticket.conversation_id == conversation_id)).scalar_one()
        seller = s.execute(select(StaffUser).where(StaffUser.seller_id == seller_id)).scalar_one()
    return conversation_id, ticket_id, order_id, other_id, other_tracking, staff(desk, seller.username)


def test_a_seller_sees_only_their_tickets_window_and_order(desk):
    conversation_id, ticket_id, order_id, other_id, other_tracking, seller = busy_seller_conversation(desk)
    desk.reply(ticket_id, seller, "다음 주 수요일에 재입고돼요.")
    asyncio.run(desk.close(ticket_id, seller))
    desk.chat.post(conversation_id, "customer", "배송지 서울시 마포구 월드컵로 12 3층으로 바꿔 주세요")
    later = ["서울시 마포구 월드컵로 12", "서울시 강남구 테헤란로 1"]
    detail = desk.ticket_detail(ticket_id, seller)
    texts = [m["text"] for m in detail["messages"]]
    leaks = leaks_in(texts + [json.dumps(detail["context"], ensure_ascii=False), detail["ticket"]["last_message"]],
                     [other_id, other_tracking] + later)
    print(f"seller ticket detail: {len(texts)} messages, leaks {len(leaks)}")
    assert leaks == []
    assert texts == [f"{order_id} 이 상품 재입고 언제 되나요?", "그리고 [다른 주문번호] 송장 [번호 가림] 맞나요?",
                     "다음 주 수요일에 재입고돼요.", "상담이 종료되었어요. 이용해 주셔서 감사해요."]
    assert detail["context"]["slots"] == {"order_id": order_id, "scenario": "seller"}
    assert detail["context"]["order"]["id"] == order_id
    agent = staff(desk, "agent1")
    assert len(desk.ticket_detail(ticket_id, agent)["messages"]) == 9, "agents see the whole conversation"


def test_a_sellers_socket_gets_nothing_after_the_close(desk):
    conversation_id, ticket_id, order_id, other_id, other_tracking, seller = busy_seller_conversation(desk)

    def frames(sender, text):
        message = desk.chat.post(conversation_id, sender, text)
        return desk.staff_frames(seller, {"type": "message", "conversation_id": conversation_id, "message": message})

    during = frames("customer", f"{other_id} 취소할게요")
    bot = frames("bot", f"{other_id} 송장 {other_tracking}")
    asyncio.run(desk.close(ticket_id, seller))
    after = frames("customer", "배송지 서울시 마포구 월드컵로 12 3층")
    assert [f["message"]["text"] for f in during] == ["[다른 주문번호] 취소할게요"]
    assert (bot, after) == ([], [])
    [raw] = [t for t in desk.list_tickets(staff(desk, "agent1"), "done") if t["id"] == ticket_id]
    assert raw["last_message"] == "배송지 서울시 마포구 월드컵로 12 3층"  # what agents see
    [frame] = desk.staff_frames(seller, {"type": "ticket", "ticket": raw})
    assert frame["ticket"]["last_message"] == "[다른 주문번호] 취소할게요"
    [listed] = [t for t in desk.list_tickets(seller, "done") if t["id"] == ticket_id]
    assert listed["last_message"] == "[다른 주문번호] 취소할게요"


def test_an_escalated_ticket_ends_the_sellers_window(desk):
    conversation_id, ticket_id, *_, seller = busy_seller_conversation(desk)
    desk.clock.now = FRIDAY_10_KST + timedelta(hours=24)
    assert desk.escalate_overdue() == [ticket_id]
    message = desk.chat.post(conversation_id, "customer", "상담원님 제 다른 주문도 봐 주세요")
    assert desk.staff_frames(seller, {"type": "message", "conversation_id": conversation_id, "message": message}) == []
    assert "상담원님 제 다른 주문도" not in json.dumps(desk.ticket_detail(ticket_id, seller), ensure_ascii=False)


@pytest.mark.parametrize("text, masked", [
    ("20261119000288 배송조회요", "[다른 주문번호] 배송조회요"),
    ("20261120000001 주문이요", "20261120000001 주문이요"),
    # an order number written in groups is still an order number (bot.nlp.numbers)
    ("송장 123456789012 / 2026-1119-000288", "송장 [번호 가림] / [다른 주문번호]"),
    ("제 송장 6001-2345-6789 맞죠", "제 송장 6001-2345-6789 맞죠"),
    ("010-1234-5678로 연락 주세요, 2개요", "[번호 가림]로 연락 주세요, 2개요"),
    ("20261120000001 1234", "20261120000001 1234"),
])
def test_seller_text_masks_other_orders_and_long_numbers(text, masked):
    assert seller_text(text, {"20261120000001", "600123456789"}) == masked
