"""The gateway's own table: signed-in staff sessions (bearer tokens)."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String

from bot.db import Base, utcnow


class StaffSession(Base):
    __tablename__ = "staff_sessions"
    token_hash = Column(String(64), primary_key=True)  # sha256 of the bearer token
    user_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
