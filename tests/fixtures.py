"""Query helpers for the tests: pick seeded orders by what they are, not by id.

    order = find_order(s, customer_id=1, status=Status.DELIVERED, delivered_days_ago=3, now=NOW)
    guest = find_order(s, guest=True, status=Status.SHIPPED)

plus `snapshot` / `diff` to check that a change touched exactly the rows it should.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import metadata
from bot.shop import policy
from bot.shop.models import Claim, Customer, Order, Status

_ANY: Any = object()

# The fixed "now" the test suite seeds with: Thursday 2026-11-26 12:00 KST (03:00 UTC).
TEST_NOW = datetime(2026, 11, 26, 3, 0)


def _values(status) -> Optional[set[str]]:
    if status is None:
        return None
    if isinstance(status, (str, Status)):
        return {Status(status).value}
    return {Status(s).value for s in status}


def find_orders(
    session: Session,
    *,
    customer_id: Any = _ANY,
    status=None,
    delivered_days_ago: Optional[int] = None,
    ordered_days_ago: Optional[int] = None,
    now: Optional[datetime] = None,
    guest: Optional[bool] = None,
    seller_id: Optional[int] = None,
    claim_kind: Optional[str] = None,
    claim_status: Optional[str] = None,
    has_claims: Optional[bool] = None,
    exclude: Iterable[str] = (),
) -> list[Order]:
    """Orders matching every given criterion, newest first.

    ``status``: a Status, its value, or several. ``guest``: True for guest orders only,
    False for members' only. ``delivered_days_ago`` / ``ordered_days_ago`` count KST
    calendar days back from ``now`` (required with them). ``claim_kind``/``claim_status``:
    the order has such a claim. ``has_claims``: the order has (True) or has no (False) claims.
    """
    if (delivered_days_ago is not None or ordered_days_ago is not None) and now is None:
        raise TypeError("delivered_days_ago / ordered_days_ago need now=")
    query = session.query(Order)
    if customer_id is not _ANY:
        query = query.filter(Order.customer_id.is_(None) if customer_id is None else Order.customer_id == customer_id)
    statuses = _values(status)
    if statuses is not None:
        query = query.filter(Order.status.in_(sorted(statuses)))
    if guest is True:
        query = query.filter(Order.customer_id.is_(None))
    elif guest is False:
        query = query.filter(Order.customer_id.isnot(None))
    if seller_id is not None:
        query = query.filter(Order.seller_id == seller_id)
    if claim_kind is not None or claim_status is not None:
        sub = session.query(Claim.order_id)
        if claim_kind is not None:
            sub = sub.filter(Claim.kind == claim_kind)
        if claim_status is not None:
            sub = sub.filter(Claim.status == claim_status)
        query = query.filter(Order.id.in_(sub))
    if has_claims is not None:
        sub = session.query(Claim.order_id)
        query = query.filter(Order.id.in_(sub) if has_claims else Order.id.notin_(sub))
    excluded = set(exclude)
    orders = [o for o in query.order_by(Order.ordered_at.desc(), Order.id.desc()) if o.id not in excluded]
    if delivered_days_ago is not None:
        orders = [o for o in orders if o.delivered_at is not None
                  and policy.days_since_delivery(o.delivered_at, now) == delivered_days_ago]
    if ordered_days_ago is not None:
        orders = [o for o in orders if policy.days_since_delivery(o.ordered_at, now) == ordered_days_ago]
    return orders


def find_order(session: Session, **criteria) -> Order:
    """The newest order matching the criteria of `find_orders`; LookupError if none does."""
    orders = find_orders(session, **criteria)
    if not orders:
        raise LookupError(f"no seeded order matches {criteria}")
    return orders[0]


def first_customer(session: Session) -> Customer:
    customer = session.query(Customer).order_by(Customer.id).first()
    if customer is None:
        raise LookupError("the database has no customers (not seeded?)")
    return customer


def customer1_orders(session: Session, now: datetime) -> dict[str, Order]:
    """The fixed stories of the first demo customer (see bot.shop.seed), by name."""
    cid = first_customer(session).id
    S = Status
    shipped = find_orders(session, customer_id=cid, status=S.SHIPPED)
    out_for_delivery = [o for o in shipped if o.shipment and o.shipment.events
                        and o.shipment.events[-1].description == "배달출발"]
    picked_up = [o for o in shipped if o not in out_for_delivery]
    found = {
        "paid_today": find_order(session, customer_id=cid, status=S.PAID, ordered_days_ago=0, now=now),
        "preparing_yesterday": find_order(session, customer_id=cid, status=S.PREPARING, ordered_days_ago=1, now=now),
        "shipped_out_for_delivery": out_for_delivery[0] if out_for_delivery else None,
        "shipped_picked_up": picked_up[0] if picked_up else None,
        "delivered_3d": find_order(session, customer_id=cid, status=S.DELIVERED, delivered_days_ago=3, now=now),
        "delivered_7d": find_order(session, customer_id=cid, status=S.DELIVERED, delivered_days_ago=7, now=now),
        "delivered_8d": find_order(session, customer_id=cid, status=S.DELIVERED, delivered_days_ago=8, now=now),
        "delivered_40d": find_order(session, customer_id=cid, status=S.DELIVERED, delivered_days_ago=40, now=now),
        "confirmed": find_order(session, customer_id=cid, status=S.CONFIRMED),
        "return_requested": find_order(session, customer_id=cid, status=S.RETURN_REQUESTED),
        "refunded": find_order(session, customer_id=cid, status=S.REFUNDED),
        "cancelled": find_order(session, customer_id=cid, status=S.CANCELLED),
    }
    missing = [name for name, order in found.items() if order is None]
    if missing:
        raise LookupError(f"customer {cid} lacks fixture orders: {missing}")
    return found


# --------------------------------------------------------------------------- snapshots


def table_counts(session: Session) -> dict[str, int]:
    session.flush()
    return {t.name: session.execute(select(func.count()).select_from(t)).scalar() for t in metadata.sorted_tables}


def snapshot(session: Session) -> dict[str, dict[tuple, dict]]:
    """Every row of every table, keyed by table name and primary key (flushes first)."""
    session.flush()
    result: dict[str, dict[tuple, dict]] = {}
    for table in metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        rows = session.execute(select(table).order_by(*pk)).mappings().all()
        result[table.name] = {tuple(row[c.name] for c in pk): dict(row) for row in rows}
    return result


def diff(before: dict, after: dict) -> dict[str, dict]:
    """What changed between two snapshots, per table: added / removed rows, changed columns."""
    changes: dict[str, dict] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, {}), after.get(name, {})
        added = [new[k] for k in new.keys() - old.keys()]
        removed = [old[k] for k in old.keys() - new.keys()]
        changed = {}
        for key in old.keys() & new.keys():
            cols = {c: (old[key][c], new[key][c]) for c in old[key] if old[key][c] != new[key].get(c)}
            if cols:
                changed[key] = cols
        if added or removed or changed:
            changes[name] = {"added": added, "removed": removed, "changed": changed}
    return changes


def staff_login_now(url: str, username: str, password: str):
    """The console's login (bot.gateway.auth.staff_login) run to its end: (token, user), or None;
    each call from its own client, so that failed tries do not lock the next test out."""
    import asyncio

    from bot.gateway.auth import staff_login

    return asyncio.run(staff_login(url, username, password, hours=1, client=f"test-{username}-{password}"))
