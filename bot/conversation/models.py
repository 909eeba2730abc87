"""Conversation tables: a conversation and its messages, shared by the gateway and the desk."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text

from bot.db import Base, utcnow


class Conversation(Base):
    __tablename__ = "conversations"
    id = Column(String(64), primary_key=True)  # also the Rasa sender id
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=True, index=True)  # NULL: guest
    # Who answers the customer now: bot | agent | seller
    mode = Column(String(10), nullable=False, default="bot")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Message(Base):
    """Every message of a conversation, in id order; ids are what clients resume from."""

    __tablename__ = "messages"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(64), ForeignKey("conversations.id"), nullable=False, index=True)
    sender = Column(String(10), nullable=False)  # customer | bot | agent | seller | system
    author = Column(String(80), nullable=True)  # display name of an agent or seller
    text = Column(Text, nullable=False, default="")
    buttons = Column(JSON, nullable=True)  # [{title, payload}]
    meta = Column(JSON, nullable=True)  # parse data (intent, confidence), payload sent, ...
    created_at = Column(DateTime, nullable=False, default=utcnow)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "sender": self.sender,
            "author": self.author,
            "text": self.text,
            "buttons": self.buttons or [],
            "created_at": self.created_at.isoformat() + "Z",
        }
