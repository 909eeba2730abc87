"""Conversation tables: a conversation and its messages, shared by the gateway and the desk."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint

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
    # A client sends each message with its own id and retries with the same id: stored once.
    __table_args__ = (UniqueConstraint("conversation_id", "client_id", name="uq_messages_client_id"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(64), ForeignKey("conversations.id"), nullable=False, index=True)
    sender = Column(String(10), nullable=False)  # customer | bot | agent | seller | system
    author = Column(String(80), nullable=True)  # display name of an agent or seller
    text = Column(Text, nullable=False, default="")
    buttons = Column(JSON, nullable=True)  # [{title, payload}]
    meta = Column(JSON, nullable=True)  # parse data (intent, confidence), payload sent, ...
    created_at = Column(DateTime, nullable=False, default=utcnow)
    client_id = Column(String(64), nullable=True)  # customer messages: the sender's id for it
    # Customer messages: when the turn ended with an answer (the bot's, or routed to a human).
    # NULL while it runs, or when it failed (the bot was down) or was cut off: a retry runs it again.
    answered_at = Column(DateTime, nullable=True)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "sender": self.sender,
            "author": self.author,
            "text": self.text,
            "buttons": self.buttons or [],
            "created_at": self.created_at.isoformat() + "Z",
            **({"client_id": self.client_id} if self.client_id else {}),
        }
