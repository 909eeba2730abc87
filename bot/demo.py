"""The demo: the seeded shop plus the staff accounts of the agent / seller console.

    from bot.demo import seed
    with session_scope() as s:
        summary = seed(s, now=utcnow())  # the shop seed's summary, plus "staff"

The demo passwords are here and nowhere else: the seed hashes them, and `python -m bot
run` / `seed` print them. Hashed with a random salt, so only password_hash differs between runs.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.analytics.history import seed_history
from bot.handoff.models import StaffUser
from bot.gateway.passwords import hash_password
from bot.shop import seed as shop_seed
from bot.shop.models import Seller

AGENT_PASSWORD = "agent1234"
SELLER_PASSWORD = "seller1234"
AUTHOR_PASSWORD = "author1234"
PASSWORDS = {"agent": AGENT_PASSWORD, "seller": SELLER_PASSWORD, "author": AUTHOR_PASSWORD}  # by staff role
AGENTS = [("agent1", "김하늘"), ("agent2", "이도윤")]  # username, display name
AUTHORS = [("author1", "정시나")]  # scenario authors: the studio (/console/studio)
# Three weeks of past traffic in the analytics store, so the dashboard is not empty on the first run.
DEMO_HISTORY_CONVERSATIONS, DEMO_HISTORY_DAYS = 900, 21


def staff_accounts(sellers: Iterable[Seller]) -> list[dict]:
    """Two agents, a scenario author, then one account per seller (`seller1`… in seller id order),
    with passwords."""
    accounts = [{"username": username, "password": AGENT_PASSWORD, "role": "agent", "display_name": name,
                 "seller_id": None} for username, name in AGENTS]
    accounts += [{"username": username, "password": AUTHOR_PASSWORD, "role": "author", "display_name": name,
                  "seller_id": None} for username, name in AUTHORS]
    for i, seller in enumerate(sellers, start=1):
        accounts.append({"username": f"seller{i}", "password": SELLER_PASSWORD, "role": "seller",
                         "display_name": seller.name, "seller_id": seller.id})
    return accounts


def seed_staff(session: Session) -> list[dict]:
    """Add the demo staff users for the sellers in the database; returns them with their passwords."""
    sellers = session.execute(select(Seller).order_by(Seller.id)).scalars().all()
    summary = []
    for account in staff_accounts(sellers):
        session.add(StaffUser(username=account["username"], password_hash=hash_password(account["password"]),
                              display_name=account["display_name"], role=account["role"],
                              seller_id=account["seller_id"]))
        summary.append({key: account[key] for key in ("username", "password", "role", "display_name")})
    session.flush()
    return summary


def seed(session: Session, now: datetime) -> dict:
    """Fill an empty database with the demo shop, its staff and three weeks of analytics history.
    Does not commit (the caller does)."""
    summary = shop_seed.seed(session, now)
    summary["staff"] = seed_staff(session)
    summary["history"] = seed_history(session, now, DEMO_HISTORY_CONVERSATIONS, DEMO_HISTORY_DAYS)
    return summary
