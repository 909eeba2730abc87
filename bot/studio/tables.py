"""The studio's tables: what authors decided about conversations and inbox messages, and the
undo log of every change the studio made to the training data."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, String, Text

from bot.db import Base


class ConversationReview(Base):
    """An author marked a conversation reviewed and/or tagged it."""

    __tablename__ = "studio_reviews"
    conversation_id = Column(String(64), primary_key=True)
    reviewed_at = Column(DateTime, nullable=True)  # naive UTC; NULL: tagged, not yet reviewed
    reviewed_by = Column(Integer, nullable=True)  # staff user id
    tags = Column(JSON, nullable=False, default=list)  # ["오분류", ...]


class InboxDecision(Base):
    """What an author did with one customer message of the NLU inbox (Message.id)."""

    __tablename__ = "studio_inbox_decisions"
    message_id = Column(Integer, primary_key=True)
    decision = Column(String(12), nullable=False)  # confirmed | corrected | dismissed
    intent = Column(String(60), nullable=True)
    change_id = Column(Integer, nullable=True)  # the studio_changes row that added the example
    decided_by = Column(Integer, nullable=False)
    decided_at = Column(DateTime, nullable=False)


class StudioChange(Base):
    """One change to data/: the lines added to one file (git-style), who, when; revertable."""

    __tablename__ = "studio_changes"
    id = Column(Integer, primary_key=True, autoincrement=True)
    file = Column(String(200), nullable=False)  # relative to the project dir, e.g. data/nlu/orders.yml
    lines = Column(JSON, nullable=False)  # [[line number (1-based) when added, text], ...]
    summary = Column(Text, nullable=False)  # "+ 주문 어디쯤 (check_order_status)"
    author_id = Column(Integer, nullable=False)
    author = Column(String(80), nullable=False)
    at = Column(DateTime, nullable=False)
    reverted_at = Column(DateTime, nullable=True)
    reverted_by = Column(String(80), nullable=True)
