"""The gateway's own tables: signed-in staff sessions (bearer tokens) and the signed help-desk
requests already served (so that a replayed one is refused)."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String

from bot.db import Base, utcnow


class StaffSession(Base):
    __tablename__ = "staff_sessions"
    token_hash = Column(String(64), primary_key=True)  # sha256 of the bearer token
    user_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)


class HookRequest(Base):
    """A signed request of the help-desk API, kept until its signature can no longer be valid."""

    __tablename__ = "hook_requests"
    # sha256 of the request's idempotency key, or of its timestamp and signature
    key_hash = Column(String(64), primary_key=True)
    expires_at = Column(DateTime, nullable=False, index=True)
