"""The help desk: one function per thing a person does with a ticket.

Each function checks who may do it, moves the ticket, appends to the transcript
and pushes the change to the open websockets, all in one place.
Staff users are `StaffIdentity` typed dicts; the bot's handoff is a `HandoffRequest`
(both in bot.handoff.payload).

Agents see whole conversations. A seller sees, here and nowhere else, only the window of
their own ticket (from the customer message that led to the handoff to the ticket's close
or escalation), without the bot's answers (they may be about any order), with other
orders' numbers and other long numbers (tracking, phone, account) masked, and only the
context about their own order: `seller_view` over HTTP and `staff_frames` on the socket.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

from sqlalchemy import func, or_, select

from bot.analytics import events
from bot.conversation.models import Conversation, Message
from bot.conversation.rasa_client import RasaUnavailable
from bot.conversation.service import STAFF_CHANNEL, Chat
from bot.db import session_scope, utcnow
from bot.handoff import routing
from bot.handoff.models import StaffUser, Ticket, TicketNote
from bot.handoff.payload import HandoffRequest, StaffIdentity
from bot.nlp.numbers import find_order_ids
from bot.shop import repo
from bot.shop.models import STATUS_LABELS, Claim, Customer, Order, Shipment, Status

log = logging.getLogger(__name__)

HANDOFF_REASON_LABELS = {
    "requested": "상담원 연결 요청",
    "fallback": "챗봇이 이해하지 못함",
    "angry": "불만·항의",
    "late_defect": "7일 지난 불량 접수",
    "confirmed": "구매확정 주문 문의",
    "product_question": "상품 문의",
    "cancel_request": "취소 요청(상품준비중)",
    "address_request": "배송지 변경 요청(상품준비중)",
    "exchange": "교환 요청",
}
TICKET_STATUS_LABELS = {routing.QUEUED: "대기", routing.ASSIGNED: "진행 중",
                        routing.RESOLVED: "해결됨", routing.CLOSED: "종료됨"}
OUTSIDE_HOURS = ("지금은 상담 시간(평일 09:00~18:00)이 아니에요. 문의를 남겨 주시면 {when} 이후 "
                 "상담원이 순서대로 답변드려요.")
QUEUE_POSITION = "상담원이 곧 답변드릴게요. (대기 {n}명)"
ESCALATED = "판매자 답변이 늦어지고 있어서 상담원이 대신 확인해 드릴게요."
CLOSED_TEXT = "상담이 종료되었어요. 이용해 주셔서 감사해요."
DECISIONS = {
    ("cancel", True): "판매자가 취소를 승인했어요. 결제하신 수단으로 {amount}원이 환불돼요.",
    ("cancel", False): "판매자가 취소 요청을 거절했어요. 상품은 예정대로 발송되고, 받으신 뒤 7일 안에 반품을 신청하실 수 있어요.",
    ("address", True): "판매자가 배송지 변경을 승인했어요. 새 배송지: {address}",
    ("address", False): "판매자가 배송지 변경을 승인하지 않았어요. 자세한 내용은 판매자 답변을 확인해 주세요.",
    ("exchange", True): "판매자가 교환을 승인했어요. 1~3일 안에 회수 기사님이 방문해요.",
    ("exchange", False): "판매자가 교환 요청을 거절했어요. 자세한 내용은 판매자 답변을 확인해 주세요.",
}


class Forbidden(Exception):
    """The user may not do this to this ticket (HTTP 403)."""


class NotFound(Exception):
    pass


class Refused(Exception):
    """Allowed in principle, not in the ticket's current state (HTTP 409)."""


@dataclass
class Desk:
    url: str
    chat: Chat
    hook: Any  # bot.handoff.hooks.Hook
    clock: Callable[[], datetime] = field(default=utcnow)

    # --- the bot hands off ----------------------------------------------------------
    def open_ticket(self, conversation_id: str, handoff: HandoffRequest) -> List[dict]:
        """A handoff payload from an action becomes a ticket; returns what the customer is told."""
        now = self.clock()
        target = "seller" if handoff.get("target") == "seller" and handoff.get("seller_id") else "agent"
        with session_scope(self.url) as session:
            conv = session.get(Conversation, conversation_id)
            if target == "agent":
                already = session.execute(select(Ticket).where(
                    Ticket.conversation_id == conversation_id, Ticket.target == "agent",
                    Ticket.status.in_(routing.OPEN_STATES))).scalars().first()
                if already is not None:
                    return []
            customer = session.get(Customer, conv.customer_id) if conv.customer_id else None
            asked = session.execute(select(func.max(Message.id)).where(
                Message.conversation_id == conversation_id, Message.sender == "customer")).scalar()
            context = {
                "customer": {"id": customer.id, "name": customer.name} if customer else None,
                "guest": customer is None,
                "intent": handoff.get("intent"),
                "slots": handoff.get("slots") or {},
                "reason_text": HANDOFF_REASON_LABELS.get(handoff.get("reason"), handoff.get("reason")),
            }
            ticket = Ticket(
                conversation_id=conversation_id, target=target, status=routing.QUEUED,
                seller_id=handoff.get("seller_id") if target == "seller" else None,
                kind=handoff.get("kind") or "general", reason=handoff.get("reason") or "requested",
                order_id=handoff.get("order_id"), claim_id=handoff.get("claim_id"), context=context,
                created_at=now, updated_at=now,
                deadline_at=routing.seller_deadline(now) if target == "seller" else None,
                first_message_id=asked or 0,
            )
            session.add(ticket)
            session.flush()
            events.record(session, "handoff", conversation_id, key=f"handoff:{ticket.id}", at=now, ticket_id=ticket.id,
                          target=target, reason=ticket.reason, seller_id=ticket.seller_id)
            waiting = session.execute(select(func.count(Ticket.id)).where(
                Ticket.target == "agent", Ticket.status == routing.QUEUED)).scalar_one()
            summary = self._summary(session, ticket)
        told: List[dict] = []
        if target == "agent":
            self.chat.set_mode(conversation_id, "agent")
            text = (QUEUE_POSITION.format(n=waiting) if routing.cs_open(now)
                    else OUTSIDE_HOURS.format(when=routing.opening_label(now)))
            told.append(self.chat.post(conversation_id, "system", text))
        self._publish(summary)
        self.hook.ticket_opened(summary, self.chat.messages_after(conversation_id))
        return told

    # --- people act on tickets ------------------------------------------------------
    def claim(self, ticket_id: int, user: StaffIdentity) -> dict:
        with session_scope(self.url) as session:
            ticket = self._ticket_for(session, ticket_id, user)
            if user["role"] != "agent" and ticket.target != "seller":
                raise Forbidden("상담원만 담당할 수 있어요.")
            self._move(ticket, "claim")
            ticket.assignee_id = user["id"]
            events.record(session, "ticket_claimed", ticket.conversation_id, key=f"claim:{ticket.id}", at=self.clock(),
                          ticket_id=ticket.id, staff_id=user["id"], role=user["role"])
            summary = self._summary(session, ticket)
        self._publish(summary)
        return summary

    def reply(self, ticket_id: int, user: StaffIdentity, text: str) -> dict:
        text = _clean(text)
        with session_scope(self.url) as session:
            ticket = self._ticket_for(session, ticket_id, user)
            self._may_answer(ticket, user)
            if ticket.status == routing.QUEUED:  # answering takes the ticket
                ticket.status, ticket.assignee_id = routing.ASSIGNED, user["id"]
            ticket.updated_at = self.clock()
            conversation_id = ticket.conversation_id
            events.record(session, "ticket_replied", conversation_id, at=ticket.updated_at, ticket_id=ticket.id,
                          staff_id=user["id"], role=user["role"])
            summary = self._summary(session, ticket)
        message = self.chat.post(conversation_id, user["role"], text, author=user["display_name"])
        self._publish(summary)
        return message

    def note(self, ticket_id: int, user: StaffIdentity, text: str) -> dict:
        text = _clean(text)
        with session_scope(self.url) as session:
            ticket = self._ticket_for(session, ticket_id, user)
            note = TicketNote(ticket_id=ticket.id, author_id=user["id"], text=text, created_at=self.clock())
            session.add(note)
            session.flush()
            data = {"id": note.id, "author": user["display_name"], "text": text,
                    "created_at": note.created_at.isoformat() + "Z"}
        self.chat.broker.publish(STAFF_CHANNEL, {"type": "note", "ticket_id": ticket_id, "note": data})
        return data

    async def hand_back(self, ticket_id: int, user: StaffIdentity) -> dict:
        """The human is done: the bot resumes and asks if there is anything else."""
        summary, conversation_id, was_agent = self._finish(ticket_id, user, "hand_back")
        if not was_agent:
            self.chat.post(conversation_id, "system", "판매자 답변이 완료되었어요. 더 궁금한 점은 챗봇에게 물어봐 주세요.")
        self._end_window(ticket_id)
        if was_agent:
            await self._resume_bot(conversation_id, greet=True)
        return summary

    async def close(self, ticket_id: int, user: StaffIdentity) -> dict:
        summary, conversation_id, was_agent = self._finish(ticket_id, user, "close")
        self.chat.post(conversation_id, "system", CLOSED_TEXT)
        self._end_window(ticket_id)
        if was_agent:
            await self._resume_bot(conversation_id, greet=False)
        return summary

    def decide(self, ticket_id: int, user: StaffIdentity, approve: bool) -> dict:
        """A seller (or agent) approves or rejects the cancel/address/exchange request of a ticket."""
        now = self.clock()
        with session_scope(self.url) as session:
            ticket = self._ticket_for(session, ticket_id, user)
            self._may_answer(ticket, user)
            if ticket.claim_id is None:
                raise Refused("이 티켓에는 승인할 요청이 없어요.")
            claim = session.get(Claim, ticket.claim_id)
            try:
                repo.decide_claim(session, claim, approve, f"{user['role']}:{user['id']}", now)
            except repo.StaleOrder:
                raise Refused("이미 처리되었거나 주문 상태가 바뀐 요청이에요.")
            text = DECISIONS.get((claim.kind, approve), "요청이 처리되었어요.").format(
                amount=f"{claim.refund_amount:,}", address=claim.detail or "")
            ticket.status, ticket.assignee_id = routing.RESOLVED, user["id"]
            ticket.updated_at = now
            conversation_id = ticket.conversation_id
            events.record(session, "seller_decision", conversation_id, key=f"decision:{ticket.id}", at=now,
                          ticket_id=ticket.id, staff_id=user["id"], role=user["role"],
                          data={"approve": approve, "kind": claim.kind})
            summary = self._summary(session, ticket)
        self.chat.post(conversation_id, user["role"], text, author=user["display_name"])
        self._end_window(ticket_id)
        self._publish(summary)
        return summary

    def escalate_overdue(self) -> List[int]:
        """Seller tickets past their deadline go to the CS queue, and the customer is told."""
        now = self.clock()
        escalated = []
        with session_scope(self.url) as session:
            tickets = session.execute(select(Ticket).where(
                Ticket.target == "seller", Ticket.status.in_(routing.OPEN_STATES),
                Ticket.deadline_at <= now).with_for_update(skip_locked=True)).scalars().all()  # one gateway each
            for ticket in tickets:
                ticket.target, ticket.status, ticket.assignee_id = "agent", routing.QUEUED, None
                ticket.escalated_at = ticket.updated_at = now
                events.record(session, "ticket_escalated", ticket.conversation_id, key=f"escalate:{ticket.id}", at=now,
                              ticket_id=ticket.id, seller_id=ticket.seller_id)
                escalated.append((ticket.id, ticket.conversation_id, self._summary(session, ticket)))
        for ticket_id, conversation_id, summary in escalated:
            self.chat.post(conversation_id, "system", ESCALATED)
            self._end_window(ticket_id)  # the seller's part ends here
            self._publish(summary)
        return [ticket_id for ticket_id, _, _ in escalated]

    # --- reading ------------------------------------------------------------------------
    def list_tickets(self, user: StaffIdentity, status: str) -> List[dict]:
        _at_the_desk(user)
        states = {"queued": [routing.QUEUED], "assigned": [routing.ASSIGNED],
                  "done": [routing.RESOLVED, routing.CLOSED]}.get(status, [routing.QUEUED])
        with session_scope(self.url) as session:
            query = select(Ticket).where(Ticket.status.in_(states))
            if user["role"] == "seller":
                query = query.where(Ticket.seller_id == user["seller_id"])
            tickets = session.execute(query.order_by(Ticket.created_at).limit(200)).scalars().all()
            summaries = self._summaries(session, tickets)
            if user["role"] == "seller":
                summaries = [dict(summary, last_message=_last_customer_text(_seller_messages(session, ticket)))
                             for summary, ticket in zip(summaries, tickets)]
            return summaries

    def ticket_detail(self, ticket_id: int, user: StaffIdentity) -> dict:
        with session_scope(self.url) as session:
            ticket = self._ticket_for(session, ticket_id, user)
            order = session.get(Order, ticket.order_id) if ticket.order_id else None
            notes = session.execute(select(TicketNote, StaffUser.display_name)
                                    .join(StaffUser, StaffUser.id == TicketNote.author_id)
                                    .where(TicketNote.ticket_id == ticket.id).order_by(TicketNote.id)).all()
            detail = {
                "ticket": self._summary(session, ticket),
                "context": dict(ticket.context or {}, order=_order_context(order)),
                "notes": [{"id": n.id, "author": name, "text": n.text, "created_at": n.created_at.isoformat() + "Z"}
                          for n, name in notes],
            }
            if user["role"] == "seller":
                detail["messages"] = _seller_messages(session, ticket)
                detail["context"] = _seller_context(detail["context"], ticket.order_id)
                detail["ticket"]["last_message"] = _last_customer_text(detail["messages"])
                return detail
            conversation_id = ticket.conversation_id
        detail["messages"] = self.chat.messages_after(conversation_id)
        return detail

    def staff_frames(self, user: StaffIdentity, event: dict) -> List[dict]:
        """What a staff socket receives for a broker event: agents everything, a seller only its
        own tickets, and of their conversations only the messages in the seller's window.
        Message events are addressed to the tickets of their conversation."""
        if user["role"] not in DESK_ROLES:
            return []
        seller = user["role"] == "seller"
        if event["type"] == "ticket":
            if not seller:
                return [event]
            if event["ticket"].get("seller_id") != user["seller_id"]:
                return []
            with session_scope(self.url) as session:
                ticket = session.get(Ticket, event["ticket"]["id"])
                last = _last_customer_text(_seller_messages(session, ticket)) if ticket else None
            return [dict(event, ticket=dict(event["ticket"], last_message=last))]
        with session_scope(self.url) as session:
            if event["type"] == "message":
                query = select(Ticket).where(Ticket.conversation_id == event["conversation_id"])
            else:
                query = select(Ticket).where(Ticket.id == event.get("ticket_id"))
            if seller:
                query = query.where(Ticket.seller_id == user["seller_id"])
            tickets = session.execute(query.order_by(Ticket.id.desc()).limit(5)).scalars().all()
            if event["type"] != "message":
                return [event] if tickets else []
            if not seller:
                return [dict(event, ticket_id=ticket.id) for ticket in tickets]
            frames = []
            for ticket in tickets:
                [message] = _seller_messages(session, ticket, [event["message"]]) or [None]
                if message is not None:
                    frames.append(dict(event, ticket_id=ticket.id, message=message))
            return frames

    def _end_window(self, ticket_id: int) -> None:
        """The seller's window of the ticket ends at the conversation's latest message."""
        with session_scope(self.url) as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is not None and ticket.last_message_id is None:
                ticket.last_message_id = session.execute(select(func.max(Message.id)).where(
                    Message.conversation_id == ticket.conversation_id)).scalar() or 0

    # --- internals ------------------------------------------------------------------------
    def _ticket_for(self, session, ticket_id: int, user: StaffIdentity) -> Ticket:
        _at_the_desk(user)
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound("티켓을 찾을 수 없어요.")
        if user["role"] == "seller" and ticket.seller_id != user["seller_id"]:
            raise NotFound("티켓을 찾을 수 없어요.")  # another seller's ticket does not exist for them
        return ticket

    @staticmethod
    def _may_answer(ticket: Ticket, user: StaffIdentity) -> None:
        if ticket.status not in routing.OPEN_STATES:
            raise Refused("이미 종료된 상담이에요.")
        if user["role"] == "seller":
            if ticket.target != "seller":
                raise Forbidden("상담원에게 넘어간 문의예요.")
            return
        if ticket.assignee_id not in (None, user["id"]):
            raise Forbidden("다른 상담원이 담당 중인 상담이에요.")

    @staticmethod
    def _move(ticket: Ticket, move: str) -> None:
        try:
            ticket.status = routing.next_state(ticket.status, move)
        except routing.TransitionRefused:
            raise Refused("지금 상태에서는 할 수 없는 작업이에요.")

    def _finish(self, ticket_id: int, user: StaffIdentity, move: str):
        with session_scope(self.url) as session:
            ticket = self._ticket_for(session, ticket_id, user)
            self._may_answer(ticket, user)
            self._move(ticket, move)
            ticket.assignee_id = ticket.assignee_id or user["id"]
            ticket.updated_at = self.clock()
            events.record(session, "ticket_handed_back" if move == "hand_back" else "ticket_closed", ticket.conversation_id,
                          key=f"finish:{ticket.id}", at=ticket.updated_at, ticket_id=ticket.id, staff_id=user["id"],
                          role=user["role"])
            conv = session.get(Conversation, ticket.conversation_id)
            was_agent = conv.mode == "agent" and not session.execute(select(Ticket.id).where(
                Ticket.conversation_id == conv.id, Ticket.target == "agent", Ticket.id != ticket.id,
                Ticket.status.in_(routing.OPEN_STATES))).first()
            summary = self._summary(session, ticket)
            conversation_id = conv.id
        self._publish(summary)
        return summary, conversation_id, was_agent

    async def _resume_bot(self, conversation_id: str, greet: bool) -> None:
        self.chat.set_mode(conversation_id, "bot")
        try:
            said = await self.chat.rasa.resume(conversation_id, say="utter_handback" if greet else None)
            await self.chat.bot_says(conversation_id, said)
        except RasaUnavailable as exc:
            log.error("could not resume %s: %s", conversation_id, exc)

    def _summary(self, session, ticket: Ticket) -> dict:
        return self._summaries(session, [ticket])[0]

    @staticmethod
    def _summaries(session, tickets: List[Ticket]) -> List[dict]:
        """What the queue shows of each ticket, in four queries however many tickets there are."""
        conversation_ids = {t.conversation_id for t in tickets}
        customers = dict(session.execute(
            select(Conversation.id, Customer.name).join(Customer, Customer.id == Conversation.customer_id)
            .where(Conversation.id.in_(conversation_ids))).all())
        assignee_ids = {t.assignee_id for t in tickets if t.assignee_id}
        assignees = {u.id: u for u in session.execute(
            select(StaffUser).where(StaffUser.id.in_(assignee_ids))).scalars()} if assignee_ids else {}
        latest = (select(func.max(Message.id)).where(Message.conversation_id.in_(conversation_ids),
                                                     Message.sender == "customer")
                  .group_by(Message.conversation_id))
        last_texts = dict(session.execute(
            select(Message.conversation_id, Message.text).where(Message.id.in_(latest))).all())
        summaries = []
        for ticket in tickets:
            assignee = assignees.get(ticket.assignee_id)
            summaries.append({
                "id": ticket.id,
                "conversation_id": ticket.conversation_id,
                "status": ticket.status,
                "status_label": TICKET_STATUS_LABELS[ticket.status],
                "target": ticket.target,
                "kind": ticket.kind,
                "reason": ticket.reason,
                "reason_label": HANDOFF_REASON_LABELS.get(ticket.reason, ticket.reason),
                "order_id": ticket.order_id,
                "customer_name": customers.get(ticket.conversation_id, "비회원"),
                "created_at": ticket.created_at.isoformat() + "Z",
                "deadline_at": ticket.deadline_at.isoformat() + "Z" if ticket.deadline_at else None,
                "escalated": ticket.escalated_at is not None,
                "assignee": {"id": assignee.id, "display_name": assignee.display_name} if assignee else None,
                "seller_id": ticket.seller_id,
                "last_message": last_texts.get(ticket.conversation_id),
            })
        return summaries

    def _publish(self, summary: dict) -> None:
        self.chat.broker.publish(STAFF_CHANNEL, {"type": "ticket", "ticket": summary})
        self.hook.ticket_changed(summary)


def _clean(text: Any) -> str:
    text = str(text or "").strip()
    if not text:
        raise Refused("내용을 입력해 주세요.")
    if len(text) > 2000:
        raise Refused("2,000자 이내로 입력해 주세요.")
    return text


def _order_context(order: Optional[Order]) -> Optional[dict]:
    if order is None:
        return None
    shipment = order.shipment
    return {
        "id": order.id,
        "status": order.status,
        "status_label": STATUS_LABELS[Status(order.status)],
        "amount": order.total_amount,
        "items": [{"name": i.product_name, "quantity": i.quantity} for i in order.items],
        "ordered_at": order.ordered_at.isoformat() + "Z",
        "seller": order.seller.name,
        "shipment": None if shipment is None else {
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "events": [{"occurred_at": e.occurred_at.isoformat() + "Z", "location": e.location,
                        "description": e.description} for e in shipment.events],
        },
    }


# --- what a seller may see ----------------------------------------------------------------
SELLER_SLOTS = ("scenario", "return_reason")  # plus order_id, verified_order, pending_change of their own order
OTHER_ORDER = "[다른 주문번호]"
HIDDEN_NUMBER = "[번호 가림]"
_LONG_NUMBER = re.compile(r"(?<![0-9])[0-9](?:-?[0-9]){8,}(?![0-9])")


def _seller_messages(session, ticket: Ticket, messages: Optional[List[dict]] = None) -> List[dict]:
    """The messages of the ticket's window a seller may see (all of them, or of `messages`),
    masked: no bot answers, no message before the handoff or after the close."""
    first, last = ticket.first_message_id or 0, ticket.last_message_id
    if messages is None:
        query = select(Message).where(Message.conversation_id == ticket.conversation_id, Message.id >= first)
        if last is not None:
            query = query.where(Message.id <= last)
        messages = [m.to_dict() for m in session.execute(query.order_by(Message.id)).scalars()]
    keep = {ticket.order_id} if ticket.order_id else set()
    if ticket.order_id:
        tracking = session.execute(select(Shipment.tracking_number).where(
            Shipment.order_id == ticket.order_id)).scalar()
        if tracking:
            keep.add(re.sub(r"[^0-9]", "", tracking))
    return [dict(m, text=seller_text(m["text"], keep), buttons=[]) for m in messages
            if m["sender"] != "bot" and m["id"] >= first and (last is None or m["id"] <= last)]


DESK_ROLES = ("agent", "seller")  # authors work in the studio, not on tickets


def _at_the_desk(user: StaffIdentity) -> None:
    if user["role"] not in DESK_ROLES:
        raise Forbidden("상담 티켓은 상담원과 판매자만 볼 수 있어요.")


def seller_text(text: str, keep: set) -> str:
    """Other orders' numbers and other long numbers (tracking, phone, account) masked;
    the numbers in `keep` (the seller's own order and its tracking number) stay."""
    parts, position = [], 0
    for value, start, end in find_order_ids(text):
        if value not in keep:
            parts += [text[position:start], OTHER_ORDER]
            position = end
    text = "".join(parts) + text[position:]

    def mask(match: re.Match) -> str:
        return match.group() if re.sub(r"[^0-9]", "", match.group()) in keep else HIDDEN_NUMBER

    return _LONG_NUMBER.sub(mask, text)


def _seller_context(context: dict, order_id: Optional[str]) -> dict:
    """The context panel for a seller: their own order only; no other order, no address
    the customer gave for something else."""
    slots = context.get("slots") or {}
    mine: Dict[str, Any] = {name: slots[name] for name in SELLER_SLOTS if name in slots}
    for name in ("order_id", "verified_order"):
        if order_id and slots.get(name) == order_id:
            mine[name] = order_id
    pending = slots.get("pending_change")
    if order_id and isinstance(pending, dict) and pending.get("order_id") == order_id:
        mine["pending_change"] = pending
    return dict(context, slots=mine)


def _last_customer_text(messages: List[dict]) -> Optional[str]:
    return next((m["text"] for m in reversed(messages) if m["sender"] == "customer"), None)
