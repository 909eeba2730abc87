"""Analytics tables: the event store, and the facts derived from it.

`analytics_events` is the store: Rasa's events (from its event broker) and the gateway's and
the desk's own events, each under a unique key so that storing one twice is a no-op.
`analytics_conversations` and `analytics_tickets` are derived from the events (bot.analytics.facts),
one row per conversation / ticket, rebuilt whenever an event of theirs arrives, and
`analytics_day_counts` sums the conversations' facts per day: the dashboard reads these so that
it stays fast on 100,000 conversations.
"""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Index, Integer, String

from bot.db import Base


class AnalyticsEvent(Base):
    __tablename__ = "analytics_events"
    id = Column(Integer, primary_key=True, autoincrement=True)
    key = Column(String(120), nullable=False, unique=True)  # idempotency: the same event twice is one row
    conversation_id = Column(String(64), nullable=False, index=True)
    # rasa: user | bot | action;  ours: conversation_started | handoff | ticket_claimed | ticket_replied |
    # ticket_handed_back | ticket_closed | ticket_escalated | seller_decision | csat_shown | csat
    kind = Column(String(30), nullable=False)
    at = Column(DateTime, nullable=False)  # naive UTC
    intent = Column(String(60), nullable=True)  # user: the NLU intent
    topic = Column(String(60), nullable=True)  # user: faq/<topic> of the response selector
    name = Column(String(80), nullable=True)  # action / utterance name
    confidence = Column(Float, nullable=True)
    ticket_id = Column(Integer, nullable=True)
    staff_id = Column(Integer, nullable=True)
    seller_id = Column(Integer, nullable=True)
    target = Column(String(10), nullable=True)  # agent | seller
    reason = Column(String(40), nullable=True)
    role = Column(String(10), nullable=True)  # staff events: agent | seller
    score = Column(Integer, nullable=True)  # csat 1..5
    data = Column(JSON, nullable=True)  # entities (names only), buttons offered, comment, customer id, ...
    __table_args__ = (Index("ix_analytics_events_kind_at", "kind", "at", "intent", "topic"),)


class ConversationFacts(Base):
    __tablename__ = "analytics_conversations"
    conversation_id = Column(String(64), primary_key=True)
    started_at = Column(DateTime, nullable=False, index=True)  # naive UTC
    day = Column(String(10), nullable=False, index=True)  # KST calendar day, YYYY-MM-DD
    hour = Column(Integer, nullable=False)  # KST hour 0..23
    customer_id = Column(Integer, nullable=True)
    asked = Column(Boolean, nullable=False)  # said something beyond small talk (or was handed off)
    user_messages = Column(Integer, nullable=False)
    fallback_messages = Column(Integer, nullable=False)
    first_intent = Column(String(60), nullable=True)
    faq_topic = Column(String(60), nullable=True)  # the first FAQ topic asked
    handoff_reason = Column(String(40), nullable=True)  # the first handoff's; NULL: never reached a human
    handoff_target = Column(String(10), nullable=True)
    question_pending_at = Column(DateTime, nullable=True, index=True)  # the bot's last question, unanswered
    last_at = Column(DateTime, nullable=False)
    csat_shown = Column(Boolean, nullable=False)
    csat_score = Column(Integer, nullable=True)


class TicketFacts(Base):
    __tablename__ = "analytics_tickets"
    ticket_id = Column(Integer, primary_key=True)
    conversation_id = Column(String(64), nullable=False, index=True)
    opened_at = Column(DateTime, nullable=False)
    day = Column(String(10), nullable=False, index=True)  # KST day the ticket was opened
    target = Column(String(10), nullable=False)  # as opened: agent | seller
    reason = Column(String(40), nullable=False)
    seller_id = Column(Integer, nullable=True, index=True)
    seller_answered_at = Column(DateTime, nullable=True)  # first seller reply or decision
    escalated_at = Column(DateTime, nullable=True)
    agent_from = Column(DateTime, nullable=True)  # when an agent became responsible (open or escalation)
    agent_first_response_at = Column(DateTime, nullable=True)
    agent_id = Column(Integer, nullable=True, index=True)  # the agent who answered or finished it
    finished_at = Column(DateTime, nullable=True)  # handed back, closed or decided


class DayCount(Base):
    """The facts' contributions summed per KST day (bot.analytics.facts.contributions): what the
    dashboard adds up, a few hundred rows for a month however many conversations it had. Kept in step
    with the facts: rebuilding a conversation's facts takes its old contribution off and adds the new."""

    __tablename__ = "analytics_day_counts"
    day = Column(String(10), primary_key=True)
    key = Column(String(80), primary_key=True)  # e.g. asked, contained, reason:angry, hour:14, score:5
    n = Column(Integer, nullable=False)


class BrokerCursor(Base):
    """How far a consumer has read a source (the SQL event broker's table): stored with the events."""

    __tablename__ = "analytics_cursors"
    source = Column(String(200), primary_key=True)
    position = Column(Integer, nullable=False)
