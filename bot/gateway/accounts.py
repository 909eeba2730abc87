"""Staff accounts (agents, scenario authors, sellers' staff) for a real deployment.

`python -m bot staff add` / `password` call these; the console logs in with them
(bot.gateway.auth). The demo's accounts (bot.demo) are only for the demo database. Plain
rules, no web or Rasa imports:

    with session_scope() as s:
        add_staff(s, "kim.haneul", "agent", "김하늘", password)
"""
from __future__ import annotations

import re
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.gateway.passwords import hash_password
from bot.handoff.models import StaffUser
from bot.shop.models import Seller

ROLES = ("agent", "author", "seller")
RESERVED = {"helpdesk"}  # the external help desk's account (bot.gateway.hook_api)
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,39}")
MIN_PASSWORD = 10


class StaffAccountError(ValueError):
    """Why an account cannot be added or changed, in words for the operator."""


def check_password(username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffAccountError(f"the password needs at least {MIN_PASSWORD} characters")
    if username.lower() in password.lower():
        raise StaffAccountError("the password must not contain the username")


def add_staff(session: Session, username: str, role: str, display_name: str, password: str,
              seller_id: Optional[int] = None) -> StaffUser:
    """A new account; a seller's staff member belongs to one seller (`seller_id`), nobody else does."""
    if not USERNAME.fullmatch(username):
        raise StaffAccountError("a username is 3 to 40 of a-z, 0-9, '.', '_', '-', starting with a letter or digit")
    if username in RESERVED:
        raise StaffAccountError(f"'{username}' is reserved")
    if role not in ROLES:
        raise StaffAccountError(f"the role is one of {', '.join(ROLES)}")
    if not display_name.strip():
        raise StaffAccountError("a display name is needed (customers and colleagues see it)")
    if role == "seller":
        if seller_id is None:
            raise StaffAccountError("a seller's account needs --seller-id")
        if session.get(Seller, seller_id) is None:
            raise StaffAccountError(f"there is no seller {seller_id}")
    elif seller_id is not None:
        raise StaffAccountError("only a seller's account has a seller")
    if session.execute(select(StaffUser.id).where(StaffUser.username == username)).first() is not None:
        raise StaffAccountError(f"'{username}' exists already (change its password with `staff password`)")
    check_password(username, password)
    user = StaffUser(username=username, password_hash=hash_password(password), display_name=display_name.strip(),
                     role=role, seller_id=seller_id)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, username: str, password: str) -> None:
    user = session.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
    if user is None or username in RESERVED:
        raise StaffAccountError(f"there is no account '{username}'")
    check_password(username, password)
    user.password_hash = hash_password(password)


def staff_count(session: Session) -> int:
    """Accounts a person can log in with (the help desk's is not one)."""
    return session.execute(select(func.count()).select_from(StaffUser)
                           .where(StaffUser.username.not_in(RESERVED))).scalar_one()
