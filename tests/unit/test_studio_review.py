"""Conversation review and the NLU inbox (bot.studio.review, bot.studio.inbox) on a migrated,
seeded database, from events the way Rasa's broker and the gateway store them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.analytics import events
from bot.conversation.models import Conversation, Message
from bot.handoff.models import Ticket
from bot.shop.models import Customer
from bot.studio import inbox, review
from tests.fixtures import TEST_NOW as NOW


class Talk:
    """One conversation written as the gateway (messages) and Rasa's broker (events) would."""

    def __init__(self, session, cid, customer_id=None, at=NOW):
        self.session, self.cid, self.at = session, cid, at
        session.add(Conversation(id=cid, customer_id=customer_id, mode="bot", created_at=at, updated_at=at))
        session.flush()
        events.record(session, "conversation_started", cid, key=f"start:{cid}", at=at,
                      data={"customer_id": customer_id})

    def says(self, text, intent, confidence, runner_up=None, action="utter_x", values=()):
        self.at += timedelta(seconds=10)
        message = Message(conversation_id=self.cid, sender="customer", text=text, created_at=self.at)
        self.session.add(message)
        self.session.flush()
        data = {"message_id": f"m{message.id}"}
        if runner_up:
            data["runner_up"] = list(runner_up)
        if values:
            data.update(entities=sorted({k for k, _ in values}), values=[list(v) for v in values])
        events.store(self.session, [
            dict(key=f"u:{message.id}", kind="user", conversation_id=self.cid, at=self.at, intent=intent,
                 confidence=confidence, data=data),
            dict(key=f"a:{message.id}", kind="action", conversation_id=self.cid, at=self.at + timedelta(seconds=1),
                 name=action)])
        self.session.add(Message(conversation_id=self.cid, sender="bot", text="답변", created_at=self.at))
        self.session.flush()
        return message.id


@pytest.fixture
def talks(session):
    customer = session.execute(select(Customer).order_by(Customer.id)).scalars().first()
    a = Talk(session, "rev-a", customer.id)
    a.says(f"저는 {customer.name}이고 010-9876-5432로 연락 주세요", "request_human", 0.95)
    a.says("주문 물리고 싶어요", "contact_seller", 0.55, runner_up=("cancel_order", 0.3))
    b = Talk(session, "rev-b")
    b.says("짐이 아직도 안와", "nlu_fallback", 0.65, runner_up=("check_order_status", 0.6), action="action_fallback")
    b.says("주문물리고 싶어요!!", "contact_seller", 0.6, runner_up=("cancel_order", 0.35))
    session.add(Ticket(conversation_id="rev-b", target="agent", reason="fallback", status="queued", kind="general",
                       context={}, created_at=NOW, updated_at=NOW))
    c = Talk(session, "rev-c", at=NOW - timedelta(days=3))
    c.says("20261119000288 배송조회 5432", "check_order_status", 0.99,
           values=[("order_id", "20261119000288"), ("phone_last4", "5432")])
    events.record(session, "csat", "rev-c", key="csat:rev-c", score=2, at=c.at)
    session.flush()
    return customer


def ids(rows):
    return sorted(r["conversation_id"] for r in rows if r["conversation_id"].startswith("rev-"))


def test_each_filter(session, talks):
    F = review.Filters
    assert ids(review.conversations(session, F())) == ["rev-a", "rev-b", "rev-c"]
    assert ids(review.conversations(session, F(fallback=True))) == ["rev-b"]
    assert ids(review.conversations(session, F(handoff="any"))) == ["rev-b"]
    assert ids(review.conversations(session, F(handoff="fallback"))) == ["rev-b"]
    assert ids(review.conversations(session, F(handoff="angry"))) == []
    assert ids(review.conversations(session, F(confidence_below=0.58))) == ["rev-a"]
    assert ids(review.conversations(session, F(csat_low=True))) == ["rev-c"]
    assert ids(review.conversations(session, F(intent="contact_seller"))) == ["rev-a", "rev-b"]
    today = (NOW + timedelta(hours=9)).date()
    assert ids(review.conversations(session, F(day_from=today))) == ["rev-a", "rev-b"]
    assert ids(review.conversations(session, F(day_to=today - timedelta(days=1)))) == ["rev-c"]
    review.mark(session, "rev-a", by=1, at=NOW, reviewed=True, tags=["오분류", " 오분류 ", "취소"])
    assert ids(review.conversations(session, F(unreviewed=True))) == ["rev-b", "rev-c"]
    row = next(r for r in review.conversations(session, F()) if r["conversation_id"] == "rev-a")
    assert (row["reviewed"], row["tags"], row["lowest_confidence"]) == (True, ["오분류", "취소"], 0.55)
    assert row["first_message"] == "저는 [이름]이고 [전화번호]로 연락 주세요"


def test_the_transcript_shows_what_the_bot_understood_masked(session, talks):
    found = review.transcript(session, "rev-a")
    customer = [m for m in found["messages"] if m["sender"] == "customer"]
    assert customer[0]["text"] == "저는 [이름]이고 [전화번호]로 연락 주세요"
    assert customer[1]["nlu"] == {"intent": "contact_seller", "confidence": 0.55, "topic": None,
                                  "runner_up": {"intent": "cancel_order", "confidence": 0.3}, "entities": [],
                                  "actions": ["utter_x"], "fallback": False}
    c = review.transcript(session, "rev-c")["messages"][0]["nlu"]
    assert c["entities"] == [{"entity": "order_id", "value": "20261119000288"},
                             {"entity": "phone_last4", "value": "[전화번호 뒷자리]"}]
    assert review.transcript(session, "rev-b")["messages"][0]["nlu"]["fallback"] is True
    assert review.transcript(session, "no-such") is None


def test_the_inbox_groups_near_duplicates_most_frequent_first(session, talks):
    groups = [g for g in inbox.inbox(session, NOW + timedelta(minutes=5))
              if set(g["variants"]) & {"주문 물리고 싶어요", "짐이 아직도 안와"}]
    assert [(g["variants"], g["count"], g["predicted"], g["confidence"]) for g in groups] == [
        (["주문 물리고 싶어요", "주문물리고 싶어요!!"], 2, "contact_seller", 0.55),
        (["짐이 아직도 안와"], 1, "check_order_status", 0.65),  # nlu_fallback: the classifier's own guess
    ]
    everything = [v for g in inbox.inbox(session, NOW + timedelta(minutes=5)) for v in g["variants"]]
    assert "20261119000288 배송조회 5432" not in everything and not any("010-9876" in v for v in everything)
    inbox.decide(session, groups[0]["message_ids"], "corrected", "cancel_order", 1, NOW)
    left = [v for g in inbox.inbox(session, NOW + timedelta(minutes=5)) for v in g["variants"]]
    assert "주문 물리고 싶어요" not in left and "짐이 아직도 안와" in left


def test_grouping_alone():
    at = NOW
    items = [{"message_id": i, "text": t, "intent": "x", "confidence": 0.5, "at": at + timedelta(seconds=i)}
             for i, t in enumerate(["배송 언제 와요", "환불해줘", "배송언제와요??", "배송 언제와요 [전화번호]"])]
    groups = inbox.group(items)
    assert [(g["count"], g["message_ids"]) for g in groups] == [(3, [0, 2, 3]), (1, [1])]
