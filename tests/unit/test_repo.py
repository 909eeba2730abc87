"""bot.shop.repo on a real, seeded database: reads, mutations, audit, rate limit.

Every test runs in the `session` fixture's transaction, which is rolled back afterwards
(repo functions never commit). Mutations are checked against a full snapshot of every
table: exactly the expected rows change and nothing else.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from bot.db import make_session
from bot.shop import policy, repo
from bot.limits import RateLimit
from bot.shop.models import AuditLog, Claim, Order, Status
from tests.fixtures import TEST_NOW as NOW
from tests.fixtures import customer1_orders, diff, find_order, find_orders, snapshot

S = Status
T = NOW + timedelta(minutes=5)  # when the tests' changes happen
TODAY_KST = date(2026, 11, 26)
ACTOR = "customer:1"
CONV = "conv-test"


def run(session, fn):
    before = snapshot(session)
    result = fn()
    return result, diff(before, snapshot(session))


def only_order_changed(changes, order_id, columns):
    orders = changes["orders"]
    assert not orders["added"] and not orders["removed"]
    assert list(orders["changed"]) == [(order_id,)]
    changed = orders["changed"][(order_id,)]
    assert set(changed) == set(columns), changed
    return changed


def one_added(changes, table):
    rows = changes[table]
    assert len(rows["added"]) == 1 and not rows["removed"] and not rows["changed"], rows
    return rows["added"][0]


def the_audit(session, order_id) -> AuditLog:
    return session.query(AuditLog).filter_by(order_id=order_id).order_by(AuditLog.id.desc()).first()


def other_customer_order(session, status):
    return find_order(session, guest=False, status=status, exclude=[o.id for o in find_orders(session, customer_id=1)])


# --------------------------------------------------------------------------- reads


def test_get_order(session):
    order = find_order(session, customer_id=1, status=S.PAID)
    assert repo.get_order(session, order.id) is order
    assert repo.get_order(session, "20991231000001") is None
    assert repo.get_order(session, "") is None
    assert repo.get_order(session, None) is None


def test_order_for_customer_only_returns_own_orders(session):
    mine = find_order(session, customer_id=1, status=S.SHIPPED)
    theirs = find_order(session, customer_id=2)
    guest = find_order(session, guest=True)
    assert repo.order_for_customer(session, mine.id, 1) is mine
    assert repo.order_for_customer(session, mine.id, 2) is None
    assert repo.order_for_customer(session, theirs.id, 1) is None
    assert repo.order_for_customer(session, guest.id, 1) is None
    assert repo.order_for_customer(session, mine.id, None) is None
    assert repo.order_for_customer(session, "20991231000001", 1) is None


def test_order_for_guest_needs_a_guest_order_and_matching_digits(session):
    guest = find_order(session, guest=True, status=S.SHIPPED)
    last4 = re.sub(r"\D", "", guest.orderer_phone)[-4:]
    assert repo.order_for_guest(session, guest.id, last4) is guest
    assert repo.order_for_guest(session, guest.id, f" {last4[:2]}-{last4[2:]} ") is guest  # digits only
    wrong = f"{(int(last4) + 1) % 10000:04d}"
    assert repo.order_for_guest(session, guest.id, wrong) is None
    for bad in ("", "    ", last4[1:], last4 + "0", guest.orderer_phone, None):
        assert repo.order_for_guest(session, guest.id, bad) is None
    assert repo.order_for_guest(session, "20991231000001", last4) is None

    member = find_order(session, customer_id=1, status=S.SHIPPED)
    assert repo.order_for_guest(session, member.id, member.orderer_phone[-4:]) is None


def test_recent_orders_newest_first(session):
    orders = repo.recent_orders(session, 1)
    assert len(orders) == 5
    assert all(o.customer_id == 1 for o in orders)
    times = [o.ordered_at for o in orders]
    assert times == sorted(times, reverse=True)
    everything = repo.recent_orders(session, 1, limit=100)
    assert orders == everything[:5]
    assert {o.id for o in everything} == {o.id for o in find_orders(session, customer_id=1)}


def test_recent_orders_filters_by_status(session):
    delivered = repo.recent_orders(session, 1, [S.DELIVERED], limit=10)
    assert len(delivered) == 4 and all(o.status == "DELIVERED" for o in delivered)
    mixed = repo.recent_orders(session, 1, ["PAID", S.PREPARING], limit=10)
    assert {o.status for o in mixed} == {"PAID", "PREPARING"}
    assert repo.recent_orders(session, 1, [], limit=10) == []
    assert repo.recent_orders(session, 1, [S.DELIVERED], limit=2) == delivered[:2]
    assert repo.recent_orders(session, 9999) == []


def test_latest_claim(session):
    fixture = customer1_orders(session, NOW)
    returned = fixture["return_requested"]
    claim = repo.latest_claim(session, returned.id)
    assert claim.kind == "return" and claim.status == "requested"
    assert repo.latest_claim(session, returned.id, ("return", "exchange")) is claim
    assert repo.latest_claim(session, returned.id, ("cancel",)) is None
    assert repo.latest_claim(session, fixture["paid_today"].id) is None

    preparing = fixture["preparing_yesterday"]
    address = repo.request_address_change(session, preparing, "서울특별시 중구 세종대로 110", ACTOR, CONV, T)
    cancel = repo.request_cancel(session, preparing, ACTOR, CONV, T + timedelta(minutes=1))
    assert repo.latest_claim(session, preparing.id) is cancel
    assert repo.latest_claim(session, preparing.id, ("address",)) is address


def test_next_claim_no_sequence(session):
    stem = "R-20261126-"
    first = repo.next_claim_no(session, "return", T)
    assert re.fullmatch(r"R-20261126-\d{4}", first)
    existing = [c.claim_no for c in session.query(Claim).filter(Claim.claim_no.like(stem + "%"))]
    assert int(first[-4:]) == max([int(n[-4:]) for n in existing], default=0) + 1

    order = find_order(session, customer_id=1, status=S.DELIVERED, delivered_days_ago=3, now=NOW)
    claim = repo.create_return(session, order, policy.DEFECT, 0, order.total_amount, ACTOR, CONV, T)
    assert claim.claim_no == first
    assert repo.next_claim_no(session, "return", T) == f"{stem}{int(first[-4:]) + 1:04d}"


def test_next_claim_no_per_prefix_and_kst_day(session):
    for kind, prefix in (("cancel", "C"), ("return", "R"), ("exchange", "X"), ("address", "A")):
        assert repo.next_claim_no(session, kind, T).startswith(f"{prefix}-20261126-")
    # 15:30 UTC is already the next day in Korea, and nothing was claimed on it yet.
    assert repo.next_claim_no(session, "return", datetime(2026, 11, 26, 15, 30)) == "R-20261127-0001"
    assert repo.next_claim_no(session, "exchange", datetime(2026, 11, 26, 14, 59)).startswith("X-20261126-")
    with pytest.raises(ValueError):
        repo.next_claim_no(session, "refund", T)


def test_next_claim_no_counts_past_nine(session):
    order = find_order(session, customer_id=1, status=S.PAID)
    day = datetime(2026, 12, 1, 3, 0)
    for seq in range(1, 12):
        session.add(Claim(claim_no=repo.next_claim_no(session, "address", day), order_id=order.id,
                          kind="address", status="rejected", created_at=day, updated_at=day))
    session.flush()
    assert repo.next_claim_no(session, "address", day) == "A-20261201-0012"


# --------------------------------------------------------------------------- mutations


def test_cancel_now(session):
    order = customer1_orders(session, NOW)["paid_today"]
    claim, changes = run(session, lambda: repo.cancel_now(session, order, ACTOR, CONV, T))

    assert set(changes) == {"orders", "claims", "audit_log"}
    changed = only_order_changed(changes, order.id, {"status", "updated_at"})
    assert changed["status"] == ("PAID", "CANCELLED") and changed["updated_at"][1] == T
    added = one_added(changes, "claims")
    assert added["id"] == claim.id
    assert (claim.kind, claim.status, claim.refund_amount, claim.fee) == ("cancel", "approved", order.total_amount, 0)
    assert claim.expected_refund_date == policy.expected_refund_date(order.payment_method, TODAY_KST)
    assert claim.claim_no.startswith("C-20261126-") and claim.created_at == T
    audit = one_added(changes, "audit_log")
    assert audit["order_id"] == order.id and audit["action"] == "cancel"
    assert audit["actor"] == ACTOR and audit["conversation_id"] == CONV and audit["created_at"] == T
    assert audit["before"] == {"status": "PAID"}
    assert audit["after"]["status"] == "CANCELLED" and audit["after"]["claim_no"] == claim.claim_no
    assert order.status == "CANCELLED"


def test_request_cancel(session):
    order = customer1_orders(session, NOW)["preparing_yesterday"]
    claim, changes = run(session, lambda: repo.request_cancel(session, order, "guest", "c2", T))
    assert set(changes) == {"orders", "claims", "audit_log"}
    assert only_order_changed(changes, order.id, {"status", "updated_at"})["status"] == ("PREPARING", "CANCEL_REQUESTED")
    one_added(changes, "claims")
    assert (claim.kind, claim.status, claim.refund_amount) == ("cancel", "requested", order.total_amount)
    assert claim.expected_refund_date is None
    audit = one_added(changes, "audit_log")
    assert (audit["action"], audit["actor"], audit["conversation_id"]) == ("cancel_request", "guest", "c2")
    assert audit["before"] == {"status": "PREPARING"}
    assert audit["after"] == {"status": "CANCEL_REQUESTED", "claim_no": claim.claim_no, "claim_status": "requested"}


def test_create_return(session):
    order = customer1_orders(session, NOW)["delivered_3d"]
    fee = order.seller.return_shipping_fee
    claim, changes = run(session, lambda: repo.create_return(
        session, order, policy.CHANGE_OF_MIND, fee, order.total_amount - fee, ACTOR, CONV, T, detail="작아요"))
    assert set(changes) == {"orders", "claims", "audit_log"}
    assert only_order_changed(changes, order.id, {"status", "updated_at"})["status"] == ("DELIVERED", "RETURN_REQUESTED")
    one_added(changes, "claims")
    assert (claim.kind, claim.status, claim.reason, claim.detail) == ("return", "requested", "change_of_mind", "작아요")
    assert (claim.fee, claim.refund_amount) == (fee, order.total_amount - fee)
    assert claim.expected_refund_date is None
    assert claim.claim_no.startswith("R-20261126-")
    audit = one_added(changes, "audit_log")
    assert audit["action"] == "return_request" and audit["after"]["fee"] == fee


def test_create_return_rejects_amounts_above_the_total(session):
    order = customer1_orders(session, NOW)["delivered_3d"]
    before = snapshot(session)
    with pytest.raises(ValueError):
        repo.create_return(session, order, policy.DEFECT, 0, order.total_amount + 1, ACTOR, CONV, T)
    with pytest.raises(ValueError):
        repo.create_return(session, order, policy.DEFECT, -1, 0, ACTOR, CONV, T)
    assert diff(before, snapshot(session)) == {}


def test_create_exchange(session):
    order = customer1_orders(session, NOW)["delivered_7d"]
    claim, changes = run(session, lambda: repo.create_exchange(
        session, order, policy.CHANGE_OF_MIND, "M을 L로 바꿔 주세요", ACTOR, CONV, T))
    assert set(changes) == {"orders", "claims", "audit_log"}
    assert only_order_changed(changes, order.id, {"status", "updated_at"})["status"] == ("DELIVERED", "EXCHANGE_REQUESTED")
    one_added(changes, "claims")
    assert (claim.kind, claim.status, claim.detail) == ("exchange", "requested", "M을 L로 바꿔 주세요")
    assert claim.claim_no.startswith("X-20261126-")
    assert one_added(changes, "audit_log")["action"] == "exchange_request"


def test_change_address(session):
    order = customer1_orders(session, NOW)["paid_today"]
    old = order.shipping_address
    new = "서울특별시 강남구 테헤란로 152 강남파이낸스센터 18층"
    result, changes = run(session, lambda: repo.change_address(session, order, new, ACTOR, CONV, T))
    assert result is None
    assert set(changes) == {"orders", "audit_log"}
    changed = only_order_changed(changes, order.id, {"shipping_address", "updated_at"})
    assert changed["shipping_address"] == (old, new)
    audit = one_added(changes, "audit_log")
    assert audit["action"] == "address_change"
    assert audit["before"] == {"shipping_address": old} and audit["after"] == {"shipping_address": new}


def test_request_address_change_leaves_the_order_alone(session):
    order = customer1_orders(session, NOW)["preparing_yesterday"]
    new = "경기도 수원시 영통구 광교로 156 5층"
    claim, changes = run(session, lambda: repo.request_address_change(session, order, new, ACTOR, CONV, T))
    assert set(changes) == {"claims", "audit_log"}
    one_added(changes, "claims")
    assert (claim.kind, claim.status, claim.detail) == ("address", "requested", new)
    assert claim.claim_no.startswith("A-20261126-")
    assert order.status == "PREPARING" and order.shipping_address != new
    audit = one_added(changes, "audit_log")
    assert audit["action"] == "address_change_request" and audit["after"]["requested_address"] == new


MUTATIONS = {
    "cancel_now": (S.PAID, lambda s, o: repo.cancel_now(s, o, ACTOR, CONV, T)),
    "request_cancel": (S.PREPARING, lambda s, o: repo.request_cancel(s, o, ACTOR, CONV, T)),
    "create_return": (S.DELIVERED, lambda s, o: repo.create_return(s, o, policy.DEFECT, 0, 0, ACTOR, CONV, T)),
    "create_exchange": (S.DELIVERED, lambda s, o: repo.create_exchange(s, o, policy.DEFECT, None, ACTOR, CONV, T)),
    "change_address": (S.PAID, lambda s, o: repo.change_address(s, o, "서울특별시 중구 세종대로 110", ACTOR, CONV, T)),
    "request_address_change": (
        S.PREPARING, lambda s, o: repo.request_address_change(s, o, "서울특별시 중구 세종대로 110", ACTOR, CONV, T)),
}


WRONG_STATUS = [(name, status) for name in sorted(MUTATIONS) for status in Status if status is not MUTATIONS[name][0]]


@pytest.mark.parametrize("name, status", WRONG_STATUS, ids=[f"{n}-{s.value}" for n, s in WRONG_STATUS])
def test_mutation_on_wrong_status_raises_stale_and_changes_nothing(session, name, status):
    _required, mutate = MUTATIONS[name]
    order = find_order(session, status=status)
    before = snapshot(session)
    with pytest.raises(repo.StaleOrder) as err:
        mutate(session, order)
    assert err.value.status == status.value and err.value.order_id == order.id
    assert diff(before, snapshot(session)) == {}


def test_stale_when_another_transaction_changed_the_order(session, db_url):
    order = customer1_orders(session, NOW)["paid_today"]
    assert order.status == "PAID"
    other = make_session(db_url)
    try:
        other.get(Order, order.id).status = "SHIPPED"
        other.commit()
        with pytest.raises(repo.StaleOrder):
            repo.cancel_now(session, order, ACTOR, CONV, T)
        assert order.status == "SHIPPED"  # the re-read refreshed the caller's object
        assert session.query(Claim).filter_by(order_id=order.id).count() == 0
    finally:
        session.rollback()  # release the row lock (PostgreSQL) before restoring the order
        other.get(Order, order.id).status = "PAID"
        other.commit()
        other.close()


def test_mutations_do_not_commit(session, db_url):
    order = customer1_orders(session, NOW)["paid_today"]
    repo.cancel_now(session, order, ACTOR, CONV, T)
    session.flush()
    other = make_session(db_url)
    try:
        assert other.get(Order, order.id).status == "PAID"
        assert other.query(AuditLog).filter_by(order_id=order.id).count() == 0
    finally:
        other.close()


def test_mutation_works_on_an_order_loaded_elsewhere(session, db_url):
    other = make_session(db_url)
    try:
        foreign = customer1_orders(other, NOW)["paid_today"]
        other.expunge(foreign)
    finally:
        other.close()
    claim = repo.cancel_now(session, foreign, ACTOR, CONV, T)
    assert session.get(Order, foreign.id).status == "CANCELLED" and claim.order_id == foreign.id


def test_mutation_locks_the_order_row_on_postgres(session, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL only")
    order = customer1_orders(session, NOW)["paid_today"]
    repo.cancel_now(session, order, ACTOR, CONV, T)
    other = make_session(db_url)
    try:
        with pytest.raises(OperationalError):
            other.query(Order).filter(Order.id == order.id).with_for_update(nowait=True).one()
    finally:
        other.rollback()
        other.close()


# --------------------------------------------------------------------------- decisions


def requested_claim(session, status, kind):
    order = find_order(session, status=status, claim_kind=kind, claim_status="requested")
    return order, repo.latest_claim(session, order.id, (kind,))


@pytest.mark.parametrize("approve, order_status, claim_status", [(True, "CANCELLED", "approved"),
                                                                 (False, "PREPARING", "rejected")])
def test_decide_cancel(session, approve, order_status, claim_status):
    order, claim = requested_claim(session, S.CANCEL_REQUESTED, "cancel")
    result, changes = run(session, lambda: repo.decide_claim(session, claim, approve, "seller:1", T))
    assert result is claim
    assert set(changes) == {"orders", "claims", "audit_log"}
    changed = only_order_changed(changes, order.id, {"status", "updated_at"})
    assert changed["status"] == ("CANCEL_REQUESTED", order_status)
    claim_changes = changes["claims"]["changed"][(claim.id,)]
    assert claim_changes["status"] == ("requested", claim_status) and not changes["claims"]["added"]
    if approve:
        assert claim.expected_refund_date == policy.expected_refund_date(order.payment_method, TODAY_KST)
    else:
        assert claim.expected_refund_date is None
    audit = one_added(changes, "audit_log")
    assert audit["action"] == ("cancel_approve" if approve else "cancel_reject")
    assert audit["actor"] == "seller:1" and audit["after"]["claim_status"] == claim_status
    assert audit["after"]["status"] == order_status


def test_decide_address_approve_sets_the_address(session):
    order, claim = requested_claim(session, S.PREPARING, "address")
    old = order.shipping_address
    _, changes = run(session, lambda: repo.decide_claim(session, claim, True, "seller:2", T))
    assert set(changes) == {"orders", "claims", "audit_log"}
    changed = only_order_changed(changes, order.id, {"shipping_address", "updated_at"})
    assert changed["shipping_address"] == (old, claim.detail)
    assert claim.status == "approved" and order.status == "PREPARING"
    audit = one_added(changes, "audit_log")
    assert audit["action"] == "address_approve" and audit["before"]["shipping_address"] == old


def test_decide_address_reject_leaves_the_order(session):
    order, claim = requested_claim(session, S.PREPARING, "address")
    _, changes = run(session, lambda: repo.decide_claim(session, claim, False, "agent:1", T))
    assert set(changes) == {"claims", "audit_log"}
    assert claim.status == "rejected"
    assert one_added(changes, "audit_log")["action"] == "address_reject"


def test_decide_address_approve_when_already_shipped_is_stale(session):
    order = customer1_orders(session, NOW)["preparing_yesterday"]
    claim = repo.request_address_change(session, order, "서울특별시 중구 세종대로 110", ACTOR, CONV, T)
    order.status = "SHIPPED"  # the seller shipped meanwhile
    session.flush()
    before = snapshot(session)
    with pytest.raises(repo.StaleOrder):
        repo.decide_claim(session, claim, True, "seller:1", T)
    assert diff(before, snapshot(session)) == {}
    # rejecting is still possible: nothing changes on the order
    repo.decide_claim(session, claim, False, "seller:1", T)
    assert claim.status == "rejected"


@pytest.mark.parametrize("approve", [True, False])
def test_decide_exchange(session, approve):
    order = customer1_orders(session, NOW)["delivered_3d"]
    claim = repo.create_exchange(session, order, policy.DEFECT, "새 제품으로", ACTOR, CONV, T)
    _, changes = run(session, lambda: repo.decide_claim(session, claim, approve, "seller:1", T + timedelta(hours=1)))
    assert set(changes) == ({"claims", "audit_log"} if approve else {"orders", "claims", "audit_log"})
    assert claim.status == ("approved" if approve else "rejected")
    assert order.status == ("EXCHANGE_REQUESTED" if approve else "DELIVERED")
    assert one_added(changes, "audit_log")["action"] == ("exchange_approve" if approve else "exchange_reject")


@pytest.mark.parametrize("approve", [True, False])
def test_decide_return(session, approve):
    order = customer1_orders(session, NOW)["delivered_7d"]
    claim = repo.create_return(session, order, policy.DEFECT, 0, order.total_amount, ACTOR, CONV, T)
    _, changes = run(session, lambda: repo.decide_claim(session, claim, approve, "agent:2", T + timedelta(hours=1)))
    assert set(changes) == ({"claims", "audit_log"} if approve else {"orders", "claims", "audit_log"})
    assert claim.status == ("approved" if approve else "rejected")
    assert order.status == ("RETURN_REQUESTED" if approve else "DELIVERED")
    if not approve:
        only_order_changed(changes, order.id, {"status", "updated_at"})


def test_decide_needs_a_requested_claim(session):
    order = customer1_orders(session, NOW)["cancelled"]
    claim = repo.latest_claim(session, order.id)
    assert claim.status == "approved"
    before = snapshot(session)
    for approve in (True, False):
        with pytest.raises(repo.StaleOrder):
            repo.decide_claim(session, claim, approve, "seller:1", T)
    assert diff(before, snapshot(session)) == {}


def test_decide_twice_is_stale(session):
    order, claim = requested_claim(session, S.CANCEL_REQUESTED, "cancel")
    repo.decide_claim(session, claim, True, "seller:1", T)
    with pytest.raises(repo.StaleOrder):
        repo.decide_claim(session, claim, False, "seller:1", T)
    assert order.status == "CANCELLED"


def test_decide_cancel_when_order_moved_on_is_stale(session):
    order, claim = requested_claim(session, S.CANCEL_REQUESTED, "cancel")
    order.status = "SHIPPED"
    session.flush()
    with pytest.raises(repo.StaleOrder):
        repo.decide_claim(session, claim, True, "seller:1", T)
    assert claim.status == "requested"


# --------------------------------------------------------------------------- guest rate limit


def test_guest_lockout_after_five_failures_and_expiry(session):
    conv = "guest-conv-1"
    assert repo.guest_locked_until(session, conv, T) is None
    before = snapshot(session)
    for _ in range(1, 5):
        assert repo.record_guest_failure(session, conv, T) is None
        assert repo.guest_locked_until(session, conv, T) is None
    lock = T + timedelta(minutes=10)
    assert repo.record_guest_failure(session, conv, T) == lock
    assert repo.guest_locked_until(session, conv, T) == lock
    assert repo.guest_locked_until(session, conv, lock - timedelta(seconds=1)) == lock
    assert repo.guest_locked_until(session, conv, lock) is None
    row = session.get(RateLimit, f"guest:conversation:{conv}")
    assert row.failures == 0 and row.locked_until == lock
    assert set(diff(before, snapshot(session))) == {"rate_limits"}
    # after the lock the count starts again: four more failures lock nothing
    for _ in range(4):
        assert repo.record_guest_failure(session, conv, lock + timedelta(minutes=1)) is None


def test_guest_failures_on_one_order_lock_it_across_conversations(session):
    order_id = "20261101999999"  # no such order: a lock reveals nothing about existence
    for n in range(9):
        assert repo.record_guest_failure(session, f"fresh-{n}", T, order_id=order_id) is None
    assert repo.record_guest_failure(session, "fresh-9", T, order_id=order_id) == T + timedelta(days=1)
    assert repo.guest_locked_until(session, "brand-new", T, order_id=order_id) == T + timedelta(days=1)
    assert repo.guest_locked_until(session, "brand-new", T, order_id="20261101999998") is None
    assert repo.guest_locked_until(session, "brand-new", T) is None


def test_guest_failures_from_one_client_lock_it_for_every_order_and_conversation(session):
    for n in range(19):
        assert repo.record_guest_failure(session, f"c-{n}", T, client="client-a", order_id=f"2026110100{n:04d}") is None
    assert repo.record_guest_failure(session, "c-19", T, client="client-a", order_id="20261101009999") == \
        T + timedelta(hours=1)
    assert repo.guest_locked_until(session, "new", T, client="client-a", order_id="20261101000500") == \
        T + timedelta(hours=1)
    assert repo.guest_locked_until(session, "new", T, client="client-b", order_id="20261101000500") is None


def test_a_global_budget_stops_guessing_from_many_clients(session):
    rule = repo.GUEST_RULES["global"]
    for n in range(rule.limit - 1):
        assert repo.record_guest_failure(session, f"g-{n}", T, client=f"client-{n}", order_id=f"2026110200{n:04d}") \
            is None
    assert repo.record_guest_failure(session, "g-last", T, client="client-last") == T + rule.lock
    assert repo.guest_locked_until(session, "anyone", T, client="anyone") == T + rule.lock
    assert repo.guest_locked_until(session, "anyone", T + rule.lock) is None


def test_clearing_forgets_only_the_conversations_failures(session):
    for _ in range(4):
        repo.record_guest_failure(session, "guest-a", T, client="client-x", order_id="20261103000001")
    repo.clear_guest_failures(session, "guest-a", T)
    assert session.get(RateLimit, "guest:conversation:guest-a").failures == 0
    assert session.get(RateLimit, "guest:client:client-x").failures == 4
    assert session.get(RateLimit, "guest:order:20261103000001").failures == 4
    repo.clear_guest_failures(session, "never-seen", T)  # no-op
    assert session.get(RateLimit, "guest:conversation:never-seen") is None


def test_clear_does_not_lift_an_active_lock(session):
    for _ in range(5):
        repo.record_guest_failure(session, "guest-c", T)
    repo.clear_guest_failures(session, "guest-c", T)
    assert repo.guest_locked_until(session, "guest-c", T) == T + timedelta(minutes=10)


def test_stale_counters_are_pruned(session):
    repo.record_guest_failure(session, "old", T - timedelta(days=3))
    assert session.get(RateLimit, "guest:conversation:old") is not None
    repo.record_guest_failure(session, "new", T)
    assert session.get(RateLimit, "guest:conversation:old") is None


def test_concurrent_writers_are_serialised(new_db_url):
    """A second transaction cannot act on an order another one is changing; once that one
    commits, the second re-reads the new status and gets StaleOrder (SQLite and PostgreSQL)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from bot.db import session_scope
    from bot.shop.seed import seed

    url = new_db_url()
    with session_scope(url) as s:
        seed(s, NOW)
    postgres = url.startswith("postgresql")
    impatient = create_engine(url, future=True, connect_args={} if postgres else {"timeout": 0.2})
    first = make_session(url)
    try:
        order = customer1_orders(first, NOW)["paid_today"]
        repo.cancel_now(first, order, "customer:1", "first", T)

        second = Session(bind=impatient, future=True)
        try:
            if postgres:
                second.execute(text("SET lock_timeout = '200ms'"))
            with pytest.raises(OperationalError):  # locked while the first is undecided
                repo.cancel_now(second, second.get(Order, order.id), "seller:1", "second", T)
            second.rollback()
            first.commit()
            with pytest.raises(repo.StaleOrder):
                repo.cancel_now(second, second.get(Order, order.id), "seller:1", "second", T)
            second.rollback()
        finally:
            second.close()
        with session_scope(url) as s:
            assert s.query(Claim).filter_by(order_id=order.id).count() == 1
            assert s.query(AuditLog).filter_by(order_id=order.id).count() == 1
    finally:
        first.close()
        impatient.dispose()
