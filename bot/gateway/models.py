"""App tables owned by the gateway: conversations, their messages, staff accounts and sessions."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Integer, String, Text

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
    internal = Column(Boolean, nullable=False, default=False)  # internal staff note
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


class StaffUser(Base):
    __tablename__ = "staff_users"
    id = Column(Integer, primary_key=True)
    username = Column(String(40), nullable=False, unique=True)
    password_hash = Column(String(200), nullable=False)
    display_name = Column(String(80), nullable=False)
    role = Column(String(10), nullable=False)  # agent | seller
    seller_id = Column(Integer, ForeignKey("sellers.id"), nullable=True)  # set for sellers


class StaffSession(Base):
    __tablename__ = "staff_sessions"
    token_hash = Column(String(64), primary_key=True)  # sha256 of the bearer token
    user_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
