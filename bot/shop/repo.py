"""Reading and changing orders: the only place that writes orders, claims and the audit log.

No function here commits: the caller owns the transaction (``with session_scope() as s:``),
so a confirmed change and its audit record land together or not at all.

Every mutation re-reads the order inside the transaction, locked (``SELECT ... FOR UPDATE``
on PostgreSQL; on SQLite a no-op UPDATE takes the write lock first) and raises
`StaleOrder` when the order is no longer in the state the change requires, e.g. the seller
shipped it while the customer was confirming. Each mutation writes exactly one `AuditLog`
row whose ``before``/``after`` hold the fields that changed.

``now`` is always passed in (naive UTC); nothing here reads the clock.
Actors are strings: ``customer:<id>``, ``guest``, ``seller:<id>``, ``agent:<id>``.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Dict, Iterable, Optional, Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot import limits
from bot.clock import to_kst
from bot.limits import Rule
from bot.shop import policy
from bot.shop.models import AuditLog, Claim, Order, Status

CLAIM_PREFIXES = {"cancel": "C", "return": "R", "exchange": "X", "address": "A"}

class StaleOrder(Exception):
    """The order (or claim) is no longer in the state the change requires."""

    def __init__(self, message: str, *, order_id: Optional[str] = None, status: Optional[str] = None):
        super().__init__(message)
        self.order_id = order_id
        self.status = status


# --------------------------------------------------------------------------- reads


def get_order(session: Session, order_id: str) -> Optional[Order]:
    if not order_id:
        return None
    return session.get(Order, str(order_id))


def order_for_customer(session: Session, order_id: str, customer_id: int) -> Optional[Order]:
    """The order, only if it belongs to this logged-in customer."""
    order = get_order(session, order_id)
    if order is None or customer_id is None or order.customer_id != customer_id:
        return None
    return order


def _digits(text: Optional[str]) -> str:
    return re.sub(r"\D", "", text or "")


def order_for_guest(session: Session, order_id: str, phone_last4: str) -> Optional[Order]:
    """A guest order (no customer account) whose orderer phone ends with these 4 digits.

    Returns None alike for a missing order, a member's order and wrong digits, so the
    answer reveals nothing about whether the order exists.
    """
    wanted = _digits(phone_last4)
    if len(wanted) != 4:
        return None
    order = get_order(session, order_id)
    if order is None or order.customer_id is not None:
        return None
    if not _digits(order.orderer_phone).endswith(wanted):
        return None
    return order


def _status_values(statuses: Optional[Iterable]) -> Optional[list[str]]:
    if statuses is None:
        return None
    return [Status(s).value for s in statuses]


def recent_orders(
    session: Session,
    customer_id: int,
    statuses: Optional[Sequence[Status]] = None,
    limit: int = 5,
) -> list[Order]:
    """The customer's orders, newest first, optionally only in the given statuses."""
    query = session.query(Order).filter(Order.customer_id == customer_id)
    values = _status_values(statuses)
    if values is not None:
        if not values:
            return []
        query = query.filter(Order.status.in_(values))
    return query.order_by(Order.ordered_at.desc(), Order.id.desc()).limit(limit).all()


def latest_claim(session: Session, order_id: str, kinds: Optional[tuple[str, ...]] = None) -> Optional[Claim]:
    query = session.query(Claim).filter(Claim.order_id == order_id)
    if kinds:
        query = query.filter(Claim.kind.in_(list(kinds)))
    return query.order_by(Claim.created_at.desc(), Claim.id.desc()).first()


def next_claim_no(session: Session, kind: str, now: datetime) -> str:
    """``R-20261126-0007``: kind prefix, KST date, a 4-digit sequence per prefix and day.

    Two transactions racing for the same number collide on the unique claim_no; the
    loser's transaction fails and is retried by the caller like any conflict.
    """
    try:
        prefix = CLAIM_PREFIXES[kind]
    except KeyError:
        raise ValueError(f"unknown claim kind: {kind!r}") from None
    stem = f"{prefix}-{to_kst(now):%Y%m%d}-"
    last = (
        session.query(Claim.claim_no)
        .filter(Claim.claim_no.like(stem + "%"))
        .order_by(Claim.claim_no.desc())
        .limit(1)
        .scalar()
    )
    seq = int(last[len(stem):]) + 1 if last else 1
    return f"{stem}{seq:04d}"


# --------------------------------------------------------------------------- helpers


def _lock_order(session: Session, order: Order | str) -> Order:
    """Re-read the order's row, locked for this transaction, and return the session's instance.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite ignores FOR UPDATE and its SELECTs take no
    lock, so a no-op UPDATE first takes the database's write lock: a second writer waits
    (busy_timeout) until this transaction ends and then re-reads the committed status.
    """
    order_id = order if isinstance(order, str) else order.id
    if session.get_bind().dialect.name == "sqlite":
        table = Order.__table__
        session.execute(
            update(table).where(table.c.id == order_id).values(updated_at=table.c.updated_at)
        )
    locked = (
        session.query(Order)
        .filter(Order.id == order_id)
        .with_for_update()
        .populate_existing()
        .one_or_none()
    )
    if locked is None:
        raise StaleOrder(f"order {order_id} does not exist", order_id=order_id)
    return locked


def _require(session: Session, order: Order | str, *allowed: Status) -> Order:
    locked = _lock_order(session, order)
    if locked.status not in {s.value for s in allowed}:
        raise StaleOrder(
            f"order {locked.id} is {locked.status}, expected {'/'.join(s.value for s in allowed)}",
            order_id=locked.id,
            status=locked.status,
        )
    return locked


def _audit(
    session: Session,
    order: Order,
    action: str,
    actor: str,
    conversation_id: Optional[str],
    before: Optional[dict],
    after: Optional[dict],
    now: datetime,
) -> AuditLog:
    row = AuditLog(
        order_id=order.id,
        action=action,
        actor=actor,
        conversation_id=conversation_id,
        before=before,
        after=after,
        created_at=now,
    )
    session.add(row)
    return row


def _set_status(order: Order, status: Status, now: datetime) -> None:
    order.status = status.value
    order.updated_at = now


def _new_claim(session: Session, order: Order, kind: str, status: str, now: datetime, **fields) -> Claim:
    fields.setdefault("fee", 0)
    fields.setdefault("refund_amount", 0)
    claim = Claim(
        claim_no=next_claim_no(session, kind, now),
        order_id=order.id,
        kind=kind,
        status=status,
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(claim)
    return claim


def _kst_today(now: datetime):
    return to_kst(now).date()


def _claim_state(claim: Claim) -> dict:
    return {"claim_no": claim.claim_no, "claim_status": claim.status}


# --------------------------------------------------------------------------- mutations


def cancel_now(session: Session, order: Order, actor: str, conversation_id: Optional[str], now: datetime) -> Claim:
    """PAID: cancelled at once with a full refund to the original payment method."""
    order = _require(session, order, Status.PAID)
    before = {"status": order.status}
    _set_status(order, Status.CANCELLED, now)
    claim = _new_claim(
        session, order, "cancel", "approved", now,
        refund_amount=order.total_amount,
        expected_refund_date=policy.expected_refund_date(order.payment_method, _kst_today(now)),
    )
    _audit(session, order, "cancel", actor, conversation_id, before,
           {"status": order.status, **_claim_state(claim), "refund_amount": claim.refund_amount}, now)
    return claim


def request_cancel(session: Session, order: Order, actor: str, conversation_id: Optional[str], now: datetime) -> Claim:
    """PREPARING: a cancel request for the seller to decide."""
    order = _require(session, order, Status.PREPARING)
    before = {"status": order.status}
    _set_status(order, Status.CANCEL_REQUESTED, now)
    claim = _new_claim(session, order, "cancel", "requested", now, refund_amount=order.total_amount)
    _audit(session, order, "cancel_request", actor, conversation_id, before,
           {"status": order.status, **_claim_state(claim)}, now)
    return claim


def create_return(
    session: Session,
    order: Order,
    reason: str,
    fee: int,
    refund_amount: int,
    actor: str,
    conversation_id: Optional[str],
    now: datetime,
    detail: Optional[str] = None,
) -> Claim:
    """DELIVERED: a return request; the refund is paid after the item is collected."""
    if fee < 0 or refund_amount < 0:
        raise ValueError("fee and refund_amount must not be negative")
    order = _require(session, order, Status.DELIVERED)
    if fee + refund_amount > order.total_amount:
        raise ValueError(f"fee {fee} + refund {refund_amount} exceed the order total {order.total_amount}")
    before = {"status": order.status}
    _set_status(order, Status.RETURN_REQUESTED, now)
    claim = _new_claim(
        session, order, "return", "requested", now,
        reason=reason, detail=detail, fee=fee, refund_amount=refund_amount, expected_refund_date=None,
    )
    _audit(session, order, "return_request", actor, conversation_id, before,
           {"status": order.status, **_claim_state(claim), "reason": reason, "fee": fee,
            "refund_amount": refund_amount}, now)
    return claim


def create_exchange(
    session: Session,
    order: Order,
    reason: str,
    detail: Optional[str],
    actor: str,
    conversation_id: Optional[str],
    now: datetime,
) -> Claim:
    """DELIVERED: an exchange request for the seller (stock is theirs)."""
    order = _require(session, order, Status.DELIVERED)
    before = {"status": order.status}
    _set_status(order, Status.EXCHANGE_REQUESTED, now)
    claim = _new_claim(session, order, "exchange", "requested", now, reason=reason, detail=detail)
    _audit(session, order, "exchange_request", actor, conversation_id, before,
           {"status": order.status, **_claim_state(claim), "reason": reason, "detail": detail}, now)
    return claim


def change_address(
    session: Session, order: Order, new_address: str, actor: str, conversation_id: Optional[str], now: datetime
) -> None:
    """PAID: the delivery address is changed at once."""
    order = _require(session, order, Status.PAID)
    before = {"shipping_address": order.shipping_address}
    order.shipping_address = new_address
    order.updated_at = now
    _audit(session, order, "address_change", actor, conversation_id, before,
           {"shipping_address": new_address}, now)


def request_address_change(
    session: Session, order: Order, new_address: str, actor: str, conversation_id: Optional[str], now: datetime
) -> Claim:
    """PREPARING: an address-change request for the seller; the order itself is unchanged."""
    order = _require(session, order, Status.PREPARING)
    claim = _new_claim(session, order, "address", "requested", now, detail=new_address)
    _audit(session, order, "address_change_request", actor, conversation_id,
           {"shipping_address": order.shipping_address},
           {**_claim_state(claim), "requested_address": new_address}, now)
    return claim


def _lock_claim(session: Session, claim: Claim) -> Claim:
    locked = (
        session.query(Claim)
        .filter(Claim.id == claim.id)
        .with_for_update()
        .populate_existing()
        .one_or_none()
    )
    if locked is None:
        raise StaleOrder(f"claim {claim.claim_no} does not exist")
    return locked


def decide_claim(
    session: Session,
    claim: Claim,
    approve: bool,
    actor: str,
    now: datetime,
    conversation_id: Optional[str] = None,
) -> Claim:
    """A seller's or agent's decision on a requested claim.

    cancel   approve: order CANCELLED, refund date set   reject: order back to PREPARING
    address  approve: new address on the order (order must still be PAID/PREPARING)
    exchange approve: claim approved (order stays EXCHANGE_REQUESTED)   reject: order back to DELIVERED
    return   approve: claim approved (order stays RETURN_REQUESTED)     reject: order back to DELIVERED
    """
    # Lock the order first, then the claim: the same order as every other mutation.
    order = _lock_order(session, claim.order_id)
    claim = _lock_claim(session, claim)
    if claim.status != "requested":
        raise StaleOrder(f"claim {claim.claim_no} is {claim.status}, not requested",
                         order_id=order.id, status=order.status)

    def need(*allowed: Status) -> None:
        if order.status not in {s.value for s in allowed}:
            raise StaleOrder(f"order {order.id} is {order.status}", order_id=order.id, status=order.status)

    before: dict = {"claim_status": claim.status}
    after: dict = {}
    kind = claim.kind
    if kind == "cancel":
        need(Status.CANCEL_REQUESTED)
        before["status"] = order.status
        if approve:
            _set_status(order, Status.CANCELLED, now)
            claim.expected_refund_date = policy.expected_refund_date(order.payment_method, _kst_today(now))
            after["expected_refund_date"] = claim.expected_refund_date.isoformat()
        else:
            _set_status(order, Status.PREPARING, now)
        after["status"] = order.status
    elif kind == "address":
        if approve:
            need(Status.PAID, Status.PREPARING)
            before["shipping_address"] = order.shipping_address
            order.shipping_address = claim.detail
            order.updated_at = now
            after["shipping_address"] = order.shipping_address
    elif kind in ("exchange", "return"):
        requested = Status.EXCHANGE_REQUESTED if kind == "exchange" else Status.RETURN_REQUESTED
        need(requested)
        if not approve:
            before["status"] = order.status
            _set_status(order, Status.DELIVERED, now)
            after["status"] = order.status
    else:
        raise ValueError(f"unknown claim kind: {kind!r}")

    claim.status = "approved" if approve else "rejected"
    claim.updated_at = now
    after = {"claim_status": claim.status, **after}
    _audit(session, order, f"{kind}_{'approve' if approve else 'reject'}", actor, conversation_id,
           {"claim_no": claim.claim_no, **before}, {"claim_no": claim.claim_no, **after}, now)
    return claim


# --------------------------------------------------------------------------- guest rate limit
#
# Guessing the 4 phone digits of a guest order is limited in four scopes at once, in the
# database (bot.limits), so a fresh conversation, a restart or another order number does not
# give anyone new tries: the conversation, the order number (whether it exists or not: a
# lock reveals nothing), the client (an HMAC of its address, from the gateway) and everyone.

GUEST_RULES = {
    "conversation": Rule(limit=5, window=timedelta(minutes=10), lock=timedelta(minutes=10)),
    "order": Rule(limit=10, window=timedelta(days=1), lock=timedelta(days=1)),
    "client": Rule(limit=20, window=timedelta(hours=1), lock=timedelta(hours=1)),
    "global": Rule(limit=300, window=timedelta(hours=1), lock=timedelta(minutes=15)),
}
GUEST_MAX_FAILURES = GUEST_RULES["conversation"].limit
GUEST_LOCK_MINUTES = 10


def _guest_keys(conversation_id: str, client: Optional[str], order_id: Optional[str]) -> Dict[str, Rule]:
    keys = {f"guest:conversation:{conversation_id}": GUEST_RULES["conversation"],
            "guest:global": GUEST_RULES["global"]}
    if client:
        keys[f"guest:client:{client[:64]}"] = GUEST_RULES["client"]
    if order_id:
        keys[f"guest:order:{_digits(order_id)[:20]}"] = GUEST_RULES["order"]
    return keys


def guest_locked_until(
    session: Session,
    conversation_id: str,
    now: datetime,
    client: Optional[str] = None,
    order_id: Optional[str] = None,
    for_update: bool = False,
) -> Optional[datetime]:
    """When guest verification may be tried again in these scopes; None if it may now.

    With ``for_update`` the scope rows stay locked until the caller's transaction ends, so
    the check and the failure it may record cannot interleave with another attempt's.
    """
    keys = _guest_keys(conversation_id, client, order_id)
    return limits.locked_until(session, keys, now, for_update=for_update)


def record_guest_failure(
    session: Session,
    conversation_id: str,
    now: datetime,
    client: Optional[str] = None,
    order_id: Optional[str] = None,
) -> Optional[datetime]:
    """Count a failed guest verification in every scope; returns the lock end if it locked one."""
    return limits.record_failure(session, _guest_keys(conversation_id, client, order_id), now)


def clear_guest_failures(session: Session, conversation_id: str, now: datetime) -> None:
    """After a successful verification the conversation's count starts again (an active lock
    stays). The order's, the client's and everyone's counts do not: a success on one order
    must not buy tries on another."""
    limits.reset(session, f"guest:conversation:{conversation_id}", now)
