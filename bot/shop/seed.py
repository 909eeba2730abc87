"""A realistic demo shop for an empty database: customers, sellers, products, ~80 orders.

    from bot.shop.seed import seed
    with session_scope() as s:
        summary = seed(s, now=utcnow())

Deterministic for a given ``now`` (random.Random(20261127)); all dates are placed relative
to ``now`` in KST calendar days, so the same stories work on any day, and the products,
statuses and claims are the same at any hour (only dates and order numbers move):

Customer 1 (김민지) always has
  PAID today, PREPARING yesterday, two SHIPPED (one out for delivery, one just picked up),
  DELIVERED 3 days ago (change-of-mind return possible), DELIVERED exactly 7 days ago (last
  day of the window), DELIVERED 8 days ago (window passed), DELIVERED 40 days ago (late
  defect claim), CONFIRMED, RETURN_REQUESTED (a requested return claim), REFUNDED (a
  refunded return claim, refund date in the past) and CANCELLED (an approved cancel claim).

Shop rows only: the console's staff accounts are added by bot.demo.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from sqlalchemy.orm import Session

from bot.clock import KST, to_kst
from bot.shop import policy
from bot.shop.models import (
    Claim,
    Customer,
    Order,
    OrderItem,
    Product,
    Seller,
    Shipment,
    Status,
    TrackingEvent,
)
from bot.shop.repo import next_claim_no

SEED = 20261127

# name, phone, e-mail, home address, delivery branch (for tracking events)
CUSTOMERS = [
    ("김민지", "010-2345-6789", "minji.kim@example.com",
     "서울특별시 마포구 월드컵북로 396 상암월드컵파크 101동 1203호", "서울마포"),
    ("이준호", "010-3456-7812", "junho.lee@example.net",
     "부산광역시 해운대구 센텀중앙로 79 센텀리더스마크 805호", "부산해운대"),
    ("박서연", "010-4567-8923", "seoyeon.park@example.com",
     "대구광역시 수성구 동대구로 364 범어센트럴푸르지오 203동 1502호", "대구수성"),
    ("최현우", "010-5678-9034", "hyunwoo.choi@example.org",
     "인천광역시 연수구 컨벤시아대로 165 송도더샵 2201호", "인천연수"),
    ("정유진", "010-6789-0145", "yujin.jung@example.com",
     "대전광역시 유성구 대학로 99 궁동 다솔아파트 3동 402호", "대전유성"),
    ("강태민", "010-7890-1256", "taemin.kang@example.net",
     "광주광역시 서구 상무중앙로 110 상무센트럴자이 107동 901호", "광주서구"),
    ("윤하은", "010-8901-2367", "haeun.yoon@example.com",
     "경기도 성남시 분당구 판교역로 235 봇들마을 7단지 702동 304호", "성남분당"),
    ("장서준", "010-9012-3478", "seojun.jang@example.org",
     "제주특별자치도 제주시 첨단로 242 첨단아파트 2동 201호", "제주"),
]

# Workplaces some customers ship to now and then.
OFFICE_ADDRESSES = [
    ("서울특별시 강남구 테헤란로 152 강남파이낸스센터 18층", "서울강남"),
    ("서울특별시 중구 세종대로 110 별관 7층", "서울중구"),
    ("경기도 수원시 영통구 광교로 156 광교비즈니스센터 5층", "수원영통"),
]

# Guest (non-member) orderers: name, phone, address, branch
GUESTS = [
    ("한지우", "010-2718-5432", "서울특별시 송파구 송파대로 345 헬리오시티 312동 1101호", "서울송파"),
    ("송예린", "010-3141-5926", "경기도 고양시 일산동구 중앙로 1275 호수마을 5단지 503동 802호", "고양일산"),
    ("임도현", "010-6626-0701", "울산광역시 남구 삼산로 287 삼산현대아파트 102동 1404호", "울산남구"),
    ("배수아", "010-8080-1357", "강원특별자치도 춘천시 중앙로 67 명동빌라 302호", "춘천"),
    ("신동건", "010-5050-2468", "충청북도 청주시 흥덕구 직지대로 409 복대자이 101동 702호", "청주흥덕"),
    ("조은채", "010-4242-9090", "전북특별자치도 전주시 완산구 효자로 225 효자동 3층", "전주완산"),
]

# store name, contact phone, return shipping fee, origin (pickup branch), usual carrier
SELLERS = [
    ("포근니트", "02-2231-4587", 6000, "서울동대문", "CJ대한통운"),
    ("소리공방 전자", "02-711-3390", 6000, "서울용산", "한진택배"),
    ("한결리빙", "031-945-2280", 5000, "경기파주", "롯데택배"),
    ("달빛뷰티", "031-8059-1144", 6000, "경기화성", "우체국택배"),
]

PRODUCTS = {
    "포근니트": [
        ("캐시미어 라운드 니트", 59000), ("울 블렌드 가디건", 69000), ("케이블 꽈배기 니트 조끼", 39000),
        ("오버핏 터틀넥 니트", 45000), ("골지 니트 비니", 15900), ("앙고라 니트 머플러", 29000),
    ],
    "소리공방 전자": [
        ("무선 블루투스 이어폰", 89000), ("노이즈캔슬링 헤드폰", 159000), ("휴대용 블루투스 스피커", 49900),
        ("65W 고속 충전기", 32000), ("USB-C 고속 충전 케이블 2m", 9900), ("스마트워치 실리콘 스트랩", 19800),
        ("보조배터리 20000mAh", 39000),
    ],
    "한결리빙": [
        ("호텔식 구스 이불 퀸", 129000), ("극세사 베개커버 2장 세트", 18900), ("원목 수납 선반 3단", 54000),
        ("규조토 발매트", 16500), ("스테인리스 냄비 3종 세트", 79000), ("무선 LED 무드등", 27900),
    ],
    "달빛뷰티": [
        ("수분 진정 크림 50ml", 28000), ("비타민C 세럼 30ml", 32000), ("데일리 선크림 SPF50+", 18900),
        ("약산성 클렌징 폼 150ml", 12900), ("벨벳 립 틴트", 14000), ("수분 시트 마스크 10매", 15000),
    ],
}

# carrier: (customer-service phone, hubs, tracking-number first digit, branch word)
CARRIERS = {
    "CJ대한통운": ("1588-1255", ["옥천HUB", "곤지암HUB", "대전HUB"], "6", "대리점"),
    "한진택배": ("1588-0011", ["대전HUB", "동서울HUB", "중부권HUB"], "4", "집배점"),
    "롯데택배": ("1588-2121", ["진천HUB", "청원HUB"], "2", "지점"),
    "우체국택배": ("1588-1300", ["대전우편집중국", "동서울우편집중국", "부산우편집중국"], "1", "우체국"),
}

# Claim details customers typically write, per seller.
DETAILS = {
    "포근니트": {
        policy.CHANGE_OF_MIND: ["사이즈가 생각보다 작아요", "색상이 화면과 달라서 마음에 안 들어요"],
        policy.DEFECT: ["소매 박음질이 뜯어져 왔어요", "니트에 구멍이 나 있어요"],
        policy.WRONG_ITEM: ["베이지를 주문했는데 그레이가 왔어요"],
        "exchange": ["M 사이즈를 L 사이즈로 바꾸고 싶어요", "아이보리를 차콜로 교환 원해요"],
    },
    "소리공방 전자": {
        policy.CHANGE_OF_MIND: ["생각보다 음질이 별로예요", "다른 제품을 사게 돼서 필요 없어졌어요"],
        policy.DEFECT: ["왼쪽 이어폰이 충전이 안 돼요", "전원이 안 켜져요"],
        policy.WRONG_ITEM: ["블랙을 주문했는데 화이트가 왔어요"],
        "exchange": ["화이트를 블랙으로 교환하고 싶어요", "초기 불량이라 새 제품으로 교환 원해요"],
    },
    "한결리빙": {
        policy.CHANGE_OF_MIND: ["집에 두니 크기가 생각보다 커요", "배송받아 보니 마음에 안 들어요"],
        policy.DEFECT: ["선반 다리 한쪽이 파손돼서 왔어요", "냄비 바닥에 흠집이 있어요"],
        policy.WRONG_ITEM: ["퀸 사이즈를 주문했는데 슈퍼싱글이 왔어요"],
        "exchange": ["그레이 색상으로 교환하고 싶어요", "퀸을 킹 사이즈로 바꾸고 싶어요"],
    },
    "달빛뷰티": {
        policy.CHANGE_OF_MIND: ["피부에 안 맞는 것 같아요", "향이 생각보다 강해요"],
        policy.DEFECT: ["용기가 깨져서 내용물이 샜어요", "펌프가 작동 안 해요"],
        policy.WRONG_ITEM: ["3호를 주문했는데 5호가 왔어요"],
        "exchange": ["립 틴트 3호를 5호로 교환 원해요"],
    },
}

PAYMENT_METHODS = ["card", "kakaopay", "naverpay", "bank_transfer"]
PAYMENT_WEIGHTS = [55, 18, 17, 10]

FREE_SHIPPING_FROM = 30000
SHIPPING_FEE = 3000

TRACKED = {Status.SHIPPED, Status.DELIVERED, Status.CONFIRMED, Status.RETURN_REQUESTED,
           Status.EXCHANGE_REQUESTED, Status.REFUNDED}
DELIVERED_OR_LATER = TRACKED - {Status.SHIPPED}


@dataclass
class _Plan:
    status: Status
    seller: int  # index into SELLERS
    customer: Optional[int] = None  # index into CUSTOMERS; None for a guest
    guest: Optional[int] = None  # index into GUESTS
    ordered_days_ago: Optional[int] = None  # PAID / PREPARING / CANCEL_REQUESTED / CANCELLED
    delivered_days_ago: Optional[int] = None  # delivered statuses
    stage: Optional[int] = None  # SHIPPED: number of tracking events so far (2..5)
    payment: Optional[str] = None
    reason: Optional[str] = None  # return / refund / exchange claims
    claim_status: Optional[str] = None
    tag: Optional[str] = None  # customer 1's fixture name
    # filled while building
    ordered_at: Optional[datetime] = None
    order: Optional[Order] = None
    claims: list = field(default_factory=list)


class _Builder:
    def __init__(self, session: Session, now: datetime):
        if now.tzinfo is not None:
            now = now.astimezone(timezone.utc).replace(tzinfo=None)
        self.s = session
        self.now = now.replace(microsecond=0)
        self.rng = random.Random(SEED)
        # Draws whose range or order depends on `now` (claims placed between an order and now,
        # the order numbers' sequences) come from their own generator: Python's randint takes a
        # varying number of steps for a varying range, so drawing them from `rng` would make the
        # products and statuses after them depend on the time of day (the tests name seeded
        # orders by product).
        self.clock_rng = random.Random(SEED + 1)
        self.today = to_kst(self.now).date()
        self.tracking_numbers: set[str] = set()

    # ---- time helpers (KST calendar, stored as naive UTC)
    def at(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        day = self.today - timedelta(days=days_ago)
        moment = datetime.combine(day, time(hour, minute), tzinfo=KST)
        return moment.astimezone(timezone.utc).replace(tzinfo=None)

    def midnight(self) -> datetime:
        return self.at(0, 0)

    def clamp(self, moment: datetime) -> datetime:
        return min(moment, self.now)

    def between(self, start: datetime, end: datetime) -> datetime:
        """A whole minute between start and end (end clamped to now)."""
        end = self.clamp(end)
        if end <= start:
            return end
        span = int((end - start).total_seconds() // 60)
        return start + timedelta(minutes=self.clock_rng.randint(0, span))

    def earlier_today(self) -> datetime:
        """A whole minute 10 minutes to 3 hours ago, but not before midnight (KST).

        The draws are the same at any time of day; only the result is moved into today.
        """
        back = self.mins(0.3, 3)
        forward = timedelta(minutes=self.rng.randint(0, int(back.total_seconds() // 60) - 10))
        return min(max(self.now - back + forward, self.midnight()), self.now)

    def mins(self, lo_hours: float, hi_hours: float) -> timedelta:
        return timedelta(minutes=self.rng.randint(int(lo_hours * 60), int(hi_hours * 60)))

    # ---- reference data
    def reference_data(self) -> None:
        rng = self.rng
        self.customers = []
        for name, phone, email, address, _branch in CUSTOMERS:
            c = Customer(name=name, phone=phone, email=email, address=address,
                         created_at=self.now - timedelta(days=rng.randint(90, 900), minutes=rng.randint(0, 1439)))
            self.s.add(c)
            self.customers.append(c)
        self.sellers = []
        self.products: list[list[Product]] = []
        for name, phone, fee, _origin, _carrier in SELLERS:
            seller = Seller(name=name, contact_phone=phone, return_shipping_fee=fee)
            self.s.add(seller)
            self.sellers.append(seller)
            items = [Product(seller=seller, name=p, price=price) for p, price in PRODUCTS[name]]
            self.s.add_all(items)
            self.products.append(items)
        self.s.flush()

    # ---- plans
    def plans(self) -> list[_Plan]:
        rng = self.rng
        S = Status
        c1 = [
            _Plan(S.PAID, 1, 0, ordered_days_ago=0, payment="card", tag="paid_today"),
            _Plan(S.PREPARING, 0, 0, ordered_days_ago=1, payment="card", tag="preparing_yesterday"),
            _Plan(S.SHIPPED, 2, 0, stage=5, payment="naverpay", tag="shipped_out_for_delivery"),
            _Plan(S.SHIPPED, 3, 0, stage=2, payment="card", tag="shipped_picked_up"),
            _Plan(S.DELIVERED, 0, 0, delivered_days_ago=3, payment="card", tag="delivered_3d"),
            _Plan(S.DELIVERED, 3, 0, delivered_days_ago=7, payment="naverpay", tag="delivered_7d"),
            _Plan(S.DELIVERED, 2, 0, delivered_days_ago=8, payment="card", tag="delivered_8d"),
            _Plan(S.DELIVERED, 1, 0, delivered_days_ago=40, payment="card", tag="delivered_40d"),
            _Plan(S.CONFIRMED, 2, 0, delivered_days_ago=20, payment="kakaopay", tag="confirmed"),
            _Plan(S.RETURN_REQUESTED, 0, 0, delivered_days_ago=4, payment="card",
                  reason=policy.CHANGE_OF_MIND, claim_status="requested", tag="return_requested"),
            _Plan(S.REFUNDED, 1, 0, delivered_days_ago=25, payment="card",
                  reason=policy.DEFECT, claim_status="refunded", tag="refunded"),
            _Plan(S.CANCELLED, 3, 0, ordered_days_ago=12, payment="kakaopay", tag="cancelled"),
        ]
        plans = list(c1)
        side = [S.CANCELLED, S.CANCEL_REQUESTED, S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED, S.REFUNDED]
        extra_pool = [S.DELIVERED, S.CONFIRMED, S.CONFIRMED, S.SHIPPED, S.PREPARING, S.PAID, S.DELIVERED]
        k = 0
        for ci in range(1, len(CUSTOMERS)):
            statuses = [S.PAID, S.PREPARING, S.SHIPPED, S.DELIVERED, S.CONFIRMED]
            statuses += [side[k % 5], side[(k + 1) % 5]]
            k += 2
            statuses += [rng.choice(extra_pool) for _ in range(rng.randint(1, 2))]
            for status in statuses:
                plans.append(self.random_plan(status, customer=ci))
        guest_statuses = [S.PAID, S.PREPARING, S.SHIPPED, S.DELIVERED, S.DELIVERED, S.CONFIRMED]
        for gi, status in enumerate(guest_statuses):
            plans.append(self.random_plan(status, guest=gi))
        return plans

    def random_plan(self, status: Status, customer: Optional[int] = None, guest: Optional[int] = None) -> _Plan:
        rng, S = self.rng, Status
        plan = _Plan(status, rng.randrange(len(SELLERS)), customer, guest)
        if status is S.PAID:
            plan.ordered_days_ago = rng.choice([0, 0, 1])
        elif status is S.PREPARING:
            plan.ordered_days_ago = rng.randint(1, 3)
        elif status is S.CANCEL_REQUESTED:
            plan.ordered_days_ago = rng.randint(1, 3)
        elif status is S.CANCELLED:
            plan.ordered_days_ago = rng.randint(2, 50)
        elif status is S.SHIPPED:
            plan.stage = rng.randint(2, 5)
        elif status is S.DELIVERED:
            plan.delivered_days_ago = rng.randint(1, 12)
        elif status is S.CONFIRMED:
            plan.delivered_days_ago = rng.randint(8, 55)
        elif status in (S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED):
            plan.delivered_days_ago = rng.randint(1, 6)
        elif status is S.REFUNDED:
            plan.delivered_days_ago = rng.randint(18, 50)
        if status in (S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED, S.REFUNDED):
            plan.reason = rng.choices([policy.CHANGE_OF_MIND, policy.DEFECT, policy.WRONG_ITEM], [6, 3, 1])[0]
        if status is S.RETURN_REQUESTED:
            plan.claim_status = rng.choice(["requested", "requested", "approved", "collected"])
        elif status is S.EXCHANGE_REQUESTED:
            plan.claim_status = rng.choice(["requested", "requested", "approved"])
        return plan

    # ---- orders
    def build_order(self, plan: _Plan) -> None:
        rng, S = self.rng, Status
        if plan.customer is not None:
            name, phone, _email, address, branch = CUSTOMERS[plan.customer]
            if plan.tag is None and rng.random() < 0.15:
                address, branch = rng.choice(OFFICE_ADDRESSES)
            customer = self.customers[plan.customer]
        else:
            name, phone, address, branch = GUESTS[plan.guest]
            customer = None

        seller = self.sellers[plan.seller]
        products = self.products[plan.seller]
        chosen = rng.sample(products, rng.choices([1, 2, 3], [6, 3, 1])[0])
        items = [OrderItem(product=p, product_name=p.name, unit_price=p.price,
                           quantity=rng.choices([1, 2], [5, 1])[0]) for p in chosen]
        subtotal = sum(i.unit_price * i.quantity for i in items)
        shipping_fee = 0 if subtotal >= FREE_SHIPPING_FROM else SHIPPING_FEE
        payment = plan.payment or rng.choices(PAYMENT_METHODS, PAYMENT_WEIGHTS)[0]

        order = Order(
            customer=customer, seller=seller, orderer_name=name, orderer_phone=phone,
            status=plan.status.value, total_amount=subtotal + shipping_fee, shipping_fee=shipping_fee,
            payment_method=payment, recipient_name=name, shipping_address=address, items=items,
        )
        plan.order = order

        status = plan.status
        if status in TRACKED:
            self.ship(plan, order, seller_index=plan.seller, branch=branch)
        else:
            days = plan.ordered_days_ago or 0
            if days == 0:
                order.ordered_at = self.earlier_today()
            else:
                order.ordered_at = self.at(days, rng.randint(8, 22), rng.randint(0, 59))
            order.updated_at = order.ordered_at
            if status is S.PREPARING:
                order.updated_at = self.clamp(order.ordered_at + self.mins(1, 14))
        plan.ordered_at = order.ordered_at

    def ship(self, plan: _Plan, order: Order, seller_index: int, branch: str) -> None:
        rng = self.rng
        _name, _phone, _fee, origin, usual = SELLERS[seller_index]
        carrier = usual if rng.random() < 0.8 else rng.choice(sorted(CARRIERS))
        phone, hubs, first_digit, word = CARRIERS[carrier]
        hub = rng.choice(hubs)
        steps = [
            ("집하", f"{origin} {word}"),
            ("간선상차", f"{origin} {word}"),
            (f"{hub} 도착", hub),
            (f"{hub} 출발", hub),
            ("배달출발", f"{branch} {word}"),
            ("배달완료", f"{branch} {word}"),
        ]
        if plan.status is Status.SHIPPED:
            stage = plan.stage or 2
            times = [self.now - timedelta(minutes=rng.randint(25, 240))]
            gaps = {1: (2, 4), 2: (2, 5), 3: (2, 4), 4: (4, 8)}
            for index in range(stage - 1, 0, -1):
                times.insert(0, times[0] - self.mins(*gaps[index]))
            chosen = list(range(stage))
            delivered_at = None
        else:
            days = plan.delivered_days_ago
            delivered_at = self.at(days, rng.randint(11, 19), rng.randint(0, 59))
            out = self.at(days, rng.randint(7, 9), rng.randint(0, 59))
            hub_out = out - self.mins(4, 8)
            hub_in = hub_out - self.mins(2, 4)
            linehaul = hub_in - self.mins(2, 5)
            pickup = linehaul - self.mins(2, 4)
            times = [pickup, linehaul, hub_in, hub_out, out, delivered_at]
            count = rng.randint(2, 6)
            chosen = [0] + sorted(rng.sample([1, 2, 3, 4], count - 2)) + [5]
        shipped_at = times[0]
        order.ordered_at = shipped_at - self.mins(14, 40)
        order.delivered_at = delivered_at
        shipment = Shipment(order=order, carrier=carrier, carrier_phone=phone,
                            tracking_number=self.tracking_number(first_digit), shipped_at=shipped_at)
        shipment.events = [TrackingEvent(occurred_at=times[i], description=steps[i][0], location=steps[i][1])
                           for i in chosen]
        order.shipment = shipment
        order.updated_at = times[chosen[-1]] if plan.status is Status.SHIPPED else delivered_at
        if plan.status is Status.CONFIRMED:
            order.updated_at = self.clamp(delivered_at + timedelta(days=rng.randint(1, 7), hours=rng.randint(0, 12)))

    def tracking_number(self, first_digit: str) -> str:
        while True:
            number = first_digit + "".join(str(self.rng.randint(0, 9)) for _ in range(11))
            if number not in self.tracking_numbers:
                self.tracking_numbers.add(number)
                return number

    def assign_ids(self, plans: list[_Plan]) -> None:
        """Order numbers: KST order date + a 6-digit sequence rising through the day.

        The sequence draws follow the order times, so they come from the clock's generator.
        """
        rng = self.clock_rng
        sequence: dict[date, int] = {}
        for plan in sorted(plans, key=lambda p: p.order.ordered_at):
            day = to_kst(plan.order.ordered_at).date()
            seq = sequence.get(day)
            seq = rng.randint(1, 400) if seq is None else seq + rng.randint(1, 60)
            sequence[day] = seq
            plan.order.id = f"{day:%Y%m%d}{seq:06d}"

    # ---- claims
    def claim_specs(self, plan: _Plan) -> list[dict]:
        rng, S = self.rng, Status
        order = plan.order
        seller_name, _phone, fee, _origin, _carrier = SELLERS[plan.seller]
        status = plan.status
        if status is S.CANCELLED:
            at = self.clamp(order.ordered_at + self.mins(0.2, 20))
            order.updated_at = at
            return [dict(kind="cancel", status="approved", created_at=at, updated_at=at,
                         refund_amount=order.total_amount,
                         expected_refund_date=policy.expected_refund_date(order.payment_method,
                                                                          to_kst(at).date()))]
        if status is S.CANCEL_REQUESTED:
            at = self.between(order.ordered_at + timedelta(hours=2), self.now - timedelta(minutes=5))
            order.updated_at = at
            return [dict(kind="cancel", status="requested", created_at=at, updated_at=at,
                         refund_amount=order.total_amount, detail=None)]
        if status in (S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED, S.REFUNDED):
            reason = plan.reason or policy.CHANGE_OF_MIND
            kind = "exchange" if status is S.EXCHANGE_REQUESTED else "return"
            detail = rng.choice(DETAILS[seller_name]["exchange" if kind == "exchange" else reason])
            if status is S.REFUNDED:
                created = self.clamp(order.delivered_at + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6)))
            else:
                created = self.between(order.delivered_at + timedelta(hours=1), self.now - timedelta(minutes=5))
            order.updated_at = created
            spec = dict(kind=kind, status=plan.claim_status or "requested", reason=reason, detail=detail,
                        created_at=created, updated_at=created)
            if kind == "return":
                deducted = min(fee, order.total_amount) if reason == policy.CHANGE_OF_MIND else 0
                spec.update(fee=deducted, refund_amount=order.total_amount - deducted)
            if spec["status"] in ("approved", "collected"):
                spec["updated_at"] = self.between(created, self.now)
            if status is S.REFUNDED:
                collected = created + timedelta(days=rng.randint(2, 3), hours=rng.randint(0, 8))
                expected = policy.expected_refund_date(order.payment_method, to_kst(collected).date())
                refunded = collected + timedelta(days=rng.randint(1, 2))
                spec.update(status="refunded", expected_refund_date=expected, updated_at=self.clamp(refunded))
                order.updated_at = spec["updated_at"]
            return [spec]
        return []

    def address_request(self, plan: _Plan) -> dict:
        address, _branch = self.rng.choice(OFFICE_ADDRESSES)
        at = self.between(plan.order.ordered_at + timedelta(hours=1), self.now - timedelta(minutes=5))
        return dict(kind="address", status="requested", detail=address, created_at=at, updated_at=at)


def seed(session: Session, now: datetime) -> dict:
    """Fill an empty database with the demo shop. Does not commit (the caller does)."""
    if session.query(Customer.id).first() is not None or session.query(Order.id).first() is not None:
        raise RuntimeError("seed() needs an empty database: customers or orders already exist")

    b = _Builder(session, now)
    b.reference_data()
    plans = b.plans()
    with session.no_autoflush:  # orders get their numbers only once all are built
        for plan in plans:
            b.build_order(plan)
        b.assign_ids(plans)
    for plan in plans:
        session.add(plan.order)
    session.flush()

    # Claims in the order they were made, so claim numbers rise through each day.
    specs = []
    for plan in plans:
        for spec in b.claim_specs(plan):
            specs.append((plan, spec))
    preparing = [p for p in plans if p.status is Status.PREPARING and p.customer not in (None, 0)]
    if preparing:
        target = preparing[0]
        specs.append((target, b.address_request(target)))
    specs.sort(key=lambda item: (item[1]["created_at"], item[0].order.id))
    for plan, spec in specs:
        claim = Claim(claim_no=next_claim_no(session, spec["kind"], spec["created_at"]), order_id=plan.order.id,
                      fee=spec.pop("fee", 0), refund_amount=spec.pop("refund_amount", 0), **spec)
        session.add(claim)
        session.flush()

    counts = {status.value: 0 for status in Status}
    for plan in plans:
        counts[plan.status.value] += 1
    thin = [status for status, n in counts.items() if n < 3]
    assert not thin and len(plans) >= 70, (thin, len(plans))

    return {
        "customers": [{"id": c.id, "name": c.name} for c in b.customers],
        "orders": counts,
        "guest_orders": [
            {"order_id": p.order.id, "orderer_name": p.order.orderer_name,
             "phone_last4": p.order.orderer_phone[-4:], "status": p.status.value}
            for p in plans if p.customer is None
        ],
        "customer1_orders": {p.tag: p.order.id for p in plans if p.tag},
    }
