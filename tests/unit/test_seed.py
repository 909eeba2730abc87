"""The demo shop (bot.shop.seed) meets every requirement."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.db import session_scope
from bot.clock import KST, to_kst
from bot.nlp import keywords
from bot.shop import policy
from bot.shop.models import Claim, Customer, Order, Product, Seller, Shipment, Status, TrackingEvent
from bot.shop.seed import seed
from tests.fixtures import TEST_NOW as NOW
from tests.fixtures import customer1_orders, diff, find_order, find_orders, snapshot

S = Status
TRACKED = {S.SHIPPED, S.DELIVERED, S.CONFIRMED, S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED, S.REFUNDED}
DELIVERED_OR_LATER = TRACKED - {S.SHIPPED}
CLAIM_KIND = {S.CANCELLED: "cancel", S.CANCEL_REQUESTED: "cancel", S.RETURN_REQUESTED: "return",
              S.EXCHANGE_REQUESTED: "exchange", S.REFUNDED: "return"}
CARRIER_PHONES = {"CJ대한통운": "1588-1255", "한진택배": "1588-0011", "롯데택배": "1588-2121", "우체국택배": "1588-1300"}
HANGUL = re.compile(r"[가-힣]")


def kst_date(moment):
    return to_kst(moment).date()


# --------------------------------------------------------------------------- checks (reused for other `now`s)


def check_orders(s, now):
    orders = s.query(Order).all()
    assert len(orders) >= 70
    counts = Counter(o.status for o in orders)
    assert all(counts[status.value] >= 3 for status in Status), counts
    for o in orders:
        assert re.fullmatch(r"\d{14}", o.id)
        assert o.id[:8] == f"{kst_date(o.ordered_at):%Y%m%d}", (o.id, o.ordered_at)
        assert now - timedelta(days=62) <= o.ordered_at <= now
        assert o.ordered_at <= o.updated_at <= now
        assert 1 <= len(o.items) <= 3
        assert len({i.product_id for i in o.items}) == len(o.items)
        for item in o.items:
            assert item.product.seller_id == o.seller_id  # one seller per order
            assert item.product_name == item.product.name and item.unit_price == item.product.price
            assert item.quantity >= 1
        assert o.shipping_fee in (0, 3000)
        assert o.total_amount == sum(i.unit_price * i.quantity for i in o.items) + o.shipping_fee
        assert o.payment_method in ("card", "kakaopay", "naverpay", "bank_transfer")
        assert keywords.is_valid_address(o.shipping_address), o.shipping_address
        assert o.recipient_name and o.orderer_name
        if o.customer_id is not None:
            assert (o.orderer_name, o.orderer_phone) == (o.customer.name, o.customer.phone)


def check_shipments(s, now):
    numbers = set()
    for o in s.query(Order).all():
        status = o.status_enum
        if status not in TRACKED:
            assert o.shipment is None and o.delivered_at is None, o.id
            continue
        sh = o.shipment
        assert sh is not None, o.id
        assert CARRIER_PHONES[sh.carrier] == sh.carrier_phone
        assert re.fullmatch(r"[1-9]\d{11}", sh.tracking_number)
        numbers.add(sh.tracking_number)
        events = sh.events
        assert 2 <= len(events) <= 6
        times = [e.occurred_at for e in events]
        assert times == sorted(times) and len(set(times)) == len(times), o.id
        assert events[0].description == "집하" and sh.shipped_at == times[0]
        assert o.ordered_at < sh.shipped_at and times[-1] <= now
        for e in events:
            assert HANGUL.search(e.description) and HANGUL.search(e.location)
            assert (e.description in ("집하", "간선상차", "배달출발", "배달완료")
                    or re.fullmatch(r"\S+(HUB|우편집중국) (도착|출발)", e.description)), e.description
        if status in DELIVERED_OR_LATER:
            assert events[-1].description == "배달완료" and o.delivered_at == times[-1]
            assert o.delivered_at <= now
        else:
            assert o.delivered_at is None
            assert all(e.description != "배달완료" for e in events)
    assert len(numbers) == s.query(Shipment).count()  # unique


def check_claims(s, now):
    today = kst_date(now)
    for o in s.query(Order).all():
        status = o.status_enum
        kinds = [c.kind for c in o.claims]
        if status in CLAIM_KIND:
            assert CLAIM_KIND[status] in kinds, (o.id, status, kinds)
        for c in o.claims:
            prefix = {"cancel": "C", "return": "R", "exchange": "X", "address": "A"}[c.kind]
            assert re.fullmatch(rf"{prefix}-{kst_date(c.created_at):%Y%m%d}-\d{{4}}", c.claim_no), c.claim_no
            assert o.ordered_at <= c.created_at <= c.updated_at <= now
            if c.kind == "return":
                assert c.fee + c.refund_amount == o.total_amount
                assert c.fee == (min(o.seller.return_shipping_fee, o.total_amount)
                                 if c.reason == policy.CHANGE_OF_MIND else 0)
                assert c.created_at >= o.delivered_at
            if c.kind == "cancel":
                assert c.refund_amount == o.total_amount
            if c.status == "refunded":
                assert c.expected_refund_date < today and c.refund_amount > 0
        if status is S.CANCELLED:
            cancel = [c for c in o.claims if c.kind == "cancel"][-1]
            assert cancel.status == "approved" and cancel.expected_refund_date is not None
        if status is S.CANCEL_REQUESTED:
            assert [c for c in o.claims if c.kind == "cancel"][-1].status == "requested"
        if status is S.REFUNDED:
            assert [c for c in o.claims if c.kind == "return"][-1].status == "refunded"
    numbers = [c.claim_no for c in s.query(Claim)]
    assert len(numbers) == len(set(numbers))
    # per prefix and day the sequence runs 0001, 0002, ... in creation order
    by_stem: dict[str, list] = {}
    for c in s.query(Claim).order_by(Claim.created_at, Claim.id):
        by_stem.setdefault(c.claim_no[:-4], []).append(int(c.claim_no[-4:]))
    for seqs in by_stem.values():
        assert seqs == list(range(1, len(seqs) + 1))


def check_customer1(s, now):
    today = kst_date(now)
    c1 = s.get(Customer, 1)
    assert c1 is not None and c1.name == "김민지"
    f = customer1_orders(s, now)

    assert f["paid_today"].status == "PAID" and kst_date(f["paid_today"].ordered_at) == today
    assert f["preparing_yesterday"].status == "PREPARING"
    assert kst_date(f["preparing_yesterday"].ordered_at) == today - timedelta(days=1)
    shipped = find_orders(s, customer_id=1, status=S.SHIPPED)
    assert len(shipped) == 2
    assert {len(o.shipment.events) for o in shipped} == {2, 5}
    for name, days in (("delivered_3d", 3), ("delivered_7d", 7), ("delivered_8d", 8), ("delivered_40d", 40)):
        order = f[name]
        assert order.status == "DELIVERED" and policy.days_since_delivery(order.delivered_at, now) == days
    fee = f["delivered_3d"].seller.return_shipping_fee
    returnable = policy.return_request(S.DELIVERED, f["delivered_3d"].delivered_at, now, policy.CHANGE_OF_MIND,
                                       f["delivered_3d"].total_amount, fee)
    assert returnable.allowed and returnable.fee == fee and returnable.refund_amount > 0
    assert policy.return_request(S.DELIVERED, f["delivered_7d"].delivered_at, now, policy.CHANGE_OF_MIND,
                                 1000, 0).allowed
    assert policy.return_request(S.DELIVERED, f["delivered_8d"].delivered_at, now, policy.CHANGE_OF_MIND,
                                 1000, 0).code == "window_passed"
    assert policy.return_request(S.DELIVERED, f["delivered_40d"].delivered_at, now, policy.DEFECT,
                                 1000, 0).code == "late_defect"
    assert f["confirmed"].status == "CONFIRMED"

    ret = [c for c in f["return_requested"].claims if c.kind == "return"]
    assert len(ret) == 1 and ret[0].status == "requested"
    refunded = [c for c in f["refunded"].claims if c.kind == "return"]
    assert len(refunded) == 1 and refunded[0].status == "refunded"
    assert refunded[0].refund_amount > 0 and refunded[0].expected_refund_date < today
    cancel = [c for c in f["cancelled"].claims if c.kind == "cancel"]
    assert len(cancel) == 1 and cancel[0].status == "approved"
    assert all(o.customer_id == 1 for o in f.values())


def check_all(s, now):
    check_orders(s, now)
    check_shipments(s, now)
    check_claims(s, now)
    check_customer1(s, now)


# --------------------------------------------------------------------------- the seeded database


def test_orders(session):
    check_orders(session, NOW)


def test_shipments_and_tracking(session):
    check_shipments(session, NOW)


def test_claims(session):
    check_claims(session, NOW)


def test_customer1_fixture_orders(session, seeded_db):
    check_customer1(session, NOW)
    ids = {name: order.id for name, order in customer1_orders(session, NOW).items()}
    assert seeded_db["customer1_orders"] == ids


def latest_tracking_event(session, order):
    return session.execute(
        select(TrackingEvent).join(Shipment).where(Shipment.order_id == order.id)
        .order_by(TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc()).limit(1)
    ).scalar_one_or_none()


def test_latest_tracking_events(session):
    shipped = customer1_orders(session, NOW)["shipped_out_for_delivery"]
    event = latest_tracking_event(session, shipped)
    assert event.description == "배달출발"
    assert event.occurred_at == max(e.occurred_at for e in shipped.shipment.events)
    delivered = find_order(session, customer_id=1, status=S.DELIVERED, delivered_days_ago=3, now=NOW)
    assert latest_tracking_event(session, delivered).description == "배달완료"
    assert latest_tracking_event(session, find_order(session, customer_id=1, status=S.PAID)) is None


def test_summary_matches_the_database(session, seeded_db):
    counts = Counter(o.status for o in session.query(Order))
    assert seeded_db["orders"] == {status.value: counts[status.value] for status in Status}
    assert seeded_db["customers"] == [{"id": c.id, "name": c.name} for c in session.query(Customer).order_by(Customer.id)]
    guests = {g["order_id"]: g for g in seeded_db["guest_orders"]}
    assert set(guests) == {o.id for o in find_orders(session, guest=True)}
    for o in find_orders(session, guest=True):
        assert guests[o.id]["phone_last4"] == o.orderer_phone[-4:]


def test_customers(session):
    customers = session.query(Customer).order_by(Customer.id).all()
    assert len(customers) >= 6
    for c in customers:
        assert re.fullmatch(r"[가-힣]{2,4}", c.name)
        assert re.fullmatch(r"010-\d{4}-\d{4}", c.phone)
        assert re.fullmatch(r"[\w.]+@[\w.]+\.\w+", c.email)
        assert keywords.is_valid_address(c.address)
        assert c.created_at < NOW
    assert len({c.phone for c in customers}) == len(customers)
    cities = {c.address.split()[0] for c in customers}
    assert len(cities) >= 5


def test_sellers_and_products(session):
    sellers = {s.name: s for s in session.query(Seller)}
    assert set(sellers) == {"포근니트", "소리공방 전자", "한결리빙", "달빛뷰티"}
    assert sorted(s.return_shipping_fee for s in sellers.values()) == [5000, 6000, 6000, 6000]
    products = session.query(Product).all()
    assert 24 <= len(products) <= 30
    for p in products:
        assert HANGUL.search(p.name)
        assert 1000 <= p.price <= 500000 and p.price % 100 == 0
    assert all(len([p for p in products if p.seller_id == s.id]) >= 5 for s in sellers.values())


def test_orders_spread_over_customers_and_payments(session):
    orders = session.query(Order).all()
    per_customer = Counter(o.customer_id for o in orders if o.customer_id is not None)
    assert len(per_customer) == session.query(Customer).count()
    for cid, n in per_customer.items():
        assert n >= 5
        assert len({o.status for o in orders if o.customer_id == cid}) >= 5
    payments = Counter(o.payment_method for o in orders)
    assert set(payments) == {"card", "kakaopay", "naverpay", "bank_transfer"}
    assert payments.most_common(1)[0][0] == "card"
    assert {o.shipping_fee for o in orders} == {0, 3000}
    assert len({o.seller_id for o in orders}) == 4
    assert len({o.shipment.carrier for o in orders if o.shipment}) == 4


def test_guest_orders(session):
    guests = find_orders(session, guest=True)
    assert len(guests) >= 4
    assert {"PAID", "SHIPPED", "DELIVERED"} <= {o.status for o in guests}
    for o in guests:
        assert o.customer_id is None
        assert re.fullmatch(r"010-\d{4}-\d{4}", o.orderer_phone)
    assert len({o.orderer_phone for o in guests}) == len(guests)


def test_seed_refuses_a_database_with_data(session):
    with pytest.raises(RuntimeError):
        seed(session, NOW)


# --------------------------------------------------------------------------- other databases


def test_seed_is_deterministic(new_db_url):
    snaps = []
    for _ in range(2):
        url = new_db_url()
        with session_scope(url) as s:
            seed(s, NOW)
        with session_scope(url) as s:
            snap = snapshot(s)
        snaps.append(snap)
    assert diff(snaps[0], snaps[1]) == {}


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 26, 0, 3, tzinfo=KST),  # just after midnight in Korea
        datetime(2026, 11, 29, 23, 58, tzinfo=KST),  # a Sunday, late evening
        datetime(2027, 3, 1, 8, 0, tzinfo=KST),  # across a month end
    ],
    ids=["kst-midnight", "sunday-night", "march"],
)
def test_seed_works_for_any_now(new_db_url, now):
    now = now.astimezone(timezone.utc).replace(tzinfo=None)
    url = new_db_url()
    with session_scope(url) as s:
        seed(s, now)
    with session_scope(url) as s:
        check_all(s, now)


def _contents(s) -> list:
    """What each customer and guest has bought, in what state, with what claims: no dates, no numbers."""
    contents = []
    for o in s.query(Order).all():
        claims = sorted((c.kind, c.status, c.reason or "", c.detail or "", c.fee, c.refund_amount) for c in o.claims)
        contents.append((
            o.customer_id or 0, o.orderer_name, o.status, o.payment_method, o.shipping_address, o.total_amount,
            tuple((i.product_name, i.quantity) for i in o.items),
            (o.shipment.carrier, o.shipment.tracking_number) if o.shipment else None,
            tuple(claims),
        ))
    return sorted(contents)


def test_the_same_shop_at_any_time_of_day(new_db_url):
    """The stack tests pick seeded orders by product ('customer 8's delivered 보조배터리'): the products,
    statuses and claims must not depend on the hour the suite runs (it once failed just after
    midnight in Korea, when today's orders have less than three hours to fall in)."""
    day = datetime(2026, 11, 29, tzinfo=KST)
    seen = {}
    for hour, minute in [(0, 0), (0, 4), (0, 30), (1, 59), (2, 59), (9, 0), (15, 27), (23, 59)]:
        now = (day + timedelta(hours=hour, minutes=minute)).astimezone(timezone.utc).replace(tzinfo=None)
        url = new_db_url()
        with session_scope(url) as s:
            seed(s, now)
        with session_scope(url) as s:
            check_all(s, now)
            seen[f"{hour:02d}:{minute:02d}"] = _contents(s)
    reference = seen["15:27"]
    assert {when: contents == reference for when, contents in seen.items()} == {when: True for when in seen}
