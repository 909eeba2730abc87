"""The desk's tables: the staff who answer, and tickets (a conversation handed to a CS agent or to the
product's seller) with their internal notes."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text

from bot.db import Base, utcnow


class StaffUser(Base):
    """A CS agent or a seller's staff member who answers handed-off conversations."""

    __tablename__ = "staff_users"
    id = Column(Integer, primary_key=True)
    username = Column(String(40), nullable=False, unique=True)
    password_hash = Column(String(200), nullable=False)
    display_name = Column(String(80), nullable=False)
    role = Column(String(10), nullable=False)  # agent | seller | author (the studio)
    seller_id = Column(Integer, ForeignKey("sellers.id"), nullable=True)  # set for sellers


class Ticket(Base):
    __tablename__ = "tickets"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(64), ForeignKey("conversations.id"), nullable=False, index=True)
    target = Column(String(10), nullable=False)  # agent | seller
    seller_id = Column(Integer, ForeignKey("sellers.id"), nullable=True, index=True)
    # queued -> assigned -> resolved (back to the bot) | closed
    status = Column(String(10), nullable=False, default="queued", index=True)
    kind = Column(String(20), nullable=False, default="general")  # general | question | cancel_request | address_request | exchange
    reason = Column(String(40), nullable=False)  # requested | fallback | late_defect | confirmed | angry | ...
    order_id = Column(String(14), ForeignKey("orders.id"), nullable=True)
    claim_id = Column(Integer, ForeignKey("claims.id"), nullable=True)
    assignee_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    context = Column(JSON, nullable=False, default=dict)  # customer, intent, confidence, slots, reason text
    created_at = Column(DateTime, nullable=False, default=utcnow)
    deadline_at = Column(DateTime, nullable=True)  # seller tickets: answer within 24 hours
    escalated_at = Column(DateTime, nullable=True)
    # The seller's window of the conversation, in message ids: from the customer message that
    # led to the handoff to the last message before the ticket closed or escalated (open: NULL).
    first_message_id = Column(Integer, nullable=True)
    last_message_id = Column(Integer, nullable=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class TicketNote(Base):
    """An internal note: staff only, never shown to the customer."""

    __tablename__ = "ticket_notes"
    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id"), nullable=False, index=True)
    author_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
