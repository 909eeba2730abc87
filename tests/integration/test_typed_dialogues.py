"""Every scenario end to end on the real stack with typed answers only: no button is ever pressed.

Customers type 「두번째요」「불량이에요」「응」 where the bot offers buttons. Each test is one customer's
conversation about orders no other test here touches, and checks the database effect (order status,
claim, audit row, ticket, address) and, for lookups, the exact reply. The module prints how many
typed dialogues passed.
"""
from __future__ import annotations

from typing import List

import pytest
import yaml
from sqlalchemy import select

from actions.claims import CLAIM_KIND_LABELS, CLAIM_STATUS_LABELS, refund_timing
from actions.wording import order_vars, won
from bot.db import ROOT, session_scope
from bot.handoff.models import Ticket
from bot.shop import policy
from bot.shop.models import AuditLog, Claim, Order, Status
from tests.fixtures import find_orders
from tests.stack import Customer, text_of

pytestmark = pytest.mark.stack

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
PASSED: List[str] = []


@pytest.fixture(scope="module", autouse=True)
def tally(request):
    yield
    total = sum(1 for item in request.session.items if item.module is request.module)
    print(f"\ntyped dialogues: {len(PASSED)}/{total} passed (no button pressed)")


def typed(me: Customer, text: str) -> str:
    """The customer types `text`; never a payload (the widget sends one only for a pressed button)."""
    return text_of(me.say(text))


def reply(response: str, **values) -> str:
    return RESPONSES[response][0]["text"].format(**values)


def order_of(stack, **criteria) -> Order:
    """The one seeded order matching `criteria` (tests.fixtures.find_orders), relationships loaded."""
    with session_scope(stack.database_url) as s:
        found = find_orders(s, **criteria)
        assert found, f"no seeded order matches {criteria}"
        order = found[0]
        _ = order.seller, order.items, order.shipment and order.shipment.events
        return order


def named(stack, customer_id: int, product: str) -> Order:
    with session_scope(stack.database_url) as s:
        order = next(o for o in find_orders(s, customer_id=customer_id) if o.items[0].product_name.startswith(product))
        _ = order.seller, order.items, order.shipment and order.shipment.events
        return order


def rows(stack, order_id: str):
    with session_scope(stack.database_url) as s:
        order = s.get(Order, order_id)
        _ = order.seller, order.items, order.shipment and order.shipment.events
        claims = s.execute(select(Claim).where(Claim.order_id == order_id).order_by(Claim.id)).scalars().all()
        audits = s.execute(select(AuditLog).where(AuditLog.order_id == order_id).order_by(AuditLog.id)).scalars().all()
        tickets = s.execute(select(Ticket).where(Ticket.order_id == order_id).order_by(Ticket.id)).scalars().all()
        return order, claims, audits, tickets


def status_reply(order: Order) -> str:
    status = order.status
    name = f"utter_status_{status}" if f"utter_status_{status}" in RESPONSES else "utter_status_other"
    return reply(name, **order_vars(order))


# --------------------------------------------------------------------------- status


def test_status_order_chosen_by_product_name(stack):
    me = stack.customer(4)
    cardigan = named(stack, 4, "울 블렌드 가디건")
    assert "어떤 주문인가요" in typed(me, "택배 언제 와요")
    assert typed(me, "가디건이요") == status_reply(rows(stack, cardigan.id)[0])
    PASSED.append("status by product name")


def test_status_order_chosen_by_ordinal(stack):
    me = stack.customer(7)
    assert "어떤 주문인가요" in typed(me, "배송 조회해 주세요")
    first = me.last_buttons[0]["payload"].split('"')[3]  # what the list shows first; not pressed
    assert typed(me, "첫번째 거") == status_reply(rows(stack, first)[0])
    PASSED.append("status by ordinal")


def test_guest_with_order_number_and_typed_phone_digits(stack):
    order = order_of(stack, guest=True)
    guest = stack.customer()
    assert typed(guest, "주문조회 하려는데요 비회원이에요") == reply("utter_ask_order_id")
    assert typed(guest, f"{order.id}이요") == reply("utter_ask_phone_last4")
    assert typed(guest, f"뒷자리는 {order.orderer_phone[-4:]}이에요") == status_reply(order)
    PASSED.append("guest with typed digits")


# --------------------------------------------------------------------------- cancel


def test_cancel_paid_order_chosen_by_name_then_yes_typed_as_eung(stack):
    me = stack.customer(8)
    sunscreen = named(stack, 8, "데일리 선크림")
    assert sunscreen.status == "PAID"
    assert "어떤 주문인가요" in typed(me, "주문 취소하고 싶어요")
    asked = typed(me, "선크림이요")
    assert asked == reply("utter_cancel_confirm_now", **order_vars(sunscreen))
    assert rows(stack, sunscreen.id)[0].status == "PAID", "nothing changes before yes"
    assert typed(me, "응").startswith("취소했어요.")
    order, claims, audits, _ = rows(stack, sunscreen.id)
    assert order.status == "CANCELLED"
    assert [(c.kind, c.status, c.refund_amount) for c in claims] == [("cancel", "approved", sunscreen.total_amount)]
    assert [(a.action, a.actor, a.conversation_id) for a in audits] == [("cancel", "customer:8", me.conversation_id)]
    PASSED.append("cancel PAID, 응")


def test_cancel_preparing_order_named_in_the_request_then_good_go_ahead(stack):
    me = stack.customer(7)
    mat = named(stack, 7, "규조토 발매트")
    assert mat.status == "PREPARING"
    assert typed(me, "규조토 발매트 주문 취소해 주세요") == reply("utter_cancel_confirm_seller", **order_vars(mat))
    assert "판매자에게 취소를 요청했어요" in typed(me, "좋아요 진행해 주세요")
    order, claims, _, tickets = rows(stack, mat.id)
    assert order.status == "CANCEL_REQUESTED"
    assert [(c.kind, c.status) for c in claims] == [("cancel", "requested")]
    assert [(t.target, t.kind, t.claim_id) for t in tickets] == [("seller", "cancel_request", claims[0].id)]
    PASSED.append("cancel PREPARING, 좋아요 진행해 주세요")


def test_cancel_declined_with_dwaesseoyo_changes_nothing(stack):
    me = stack.customer(5)
    tint = named(stack, 5, "벨벳 립 틴트")
    assert typed(me, "벨벳 립 틴트 취소할래요") == reply("utter_cancel_confirm_now", **order_vars(tint))
    assert typed(me, "됐어요") == reply("utter_change_declined")
    order, claims, audits, _ = rows(stack, tint.id)
    assert (order.status, claims, audits) == ("PAID", [], [])
    PASSED.append("cancel declined, 됐어요")


def test_words_nlu_reads_as_yes_but_are_no_yes_cancel_nothing(stack):
    """「그거 말고 저번에 그거요」 ("not that one, the one from before") to 「취소할까요?」: the model reads
    it as affirm (0.95); it cancelled the order. Now it is not understood, and the question stands."""
    me = stack.customer(5)
    tint = named(stack, 5, "벨벳 립 틴트")
    assert typed(me, "벨벳 립 틴트 취소할래요") == reply("utter_cancel_confirm_now", **order_vars(tint))
    assert typed(me, "그거 말고 저번에 그거요") == reply("utter_fallback_first")
    order, claims, audits, _ = rows(stack, tint.id)
    assert (order.status, claims, audits) == ("PAID", [], [])
    assert typed(me, "아니요") == reply("utter_change_declined")
    assert rows(stack, tint.id)[0].status == "PAID"
    PASSED.append("cancel, 그거 말고 저번에 그거요 is no yes")


# --------------------------------------------------------------------------- return, exchange


def test_return_change_of_mind_typed_reason_has_the_fee(stack):
    me = stack.customer(3)
    charger = named(stack, 3, "65W 고속 충전기")
    fee = charger.seller.return_shipping_fee
    assert "반품하시는 이유" in typed(me, f"{charger.id} 반품하고 싶어요")
    asked = typed(me, "색상이 사진이랑 달라요")
    assert f"왕복 배송비 {won(fee)}원" in asked and f"예상 환불액은 {won(charger.total_amount - fee)}원" in asked
    assert typed(me, "네네").startswith("반품을 접수했어요")
    order, claims, audits, _ = rows(stack, charger.id)
    assert order.status == "RETURN_REQUESTED"
    assert [(c.kind, c.reason, c.fee, c.refund_amount) for c in claims] == \
        [("return", policy.CHANGE_OF_MIND, fee, charger.total_amount - fee)]
    assert [a.action for a in audits] == ["return_request"]
    PASSED.append("return, typed change of mind")


def test_return_defect_typed_reason_is_free(stack):
    me = stack.customer(5)
    muffler = next(o for o in find_orders_of(stack, 5, Status.DELIVERED) if o.items[0].product_name == "앙고라 니트 머플러")
    assert "반품하시는 이유" in typed(me, f"{muffler.id} 반품할게요")
    asked = typed(me, "불량이에요 박스가 찌그러져 왔어요")
    assert "배송비가 들지 않아요" in asked and f"예상 환불액은 {won(muffler.total_amount)}원" in asked
    assert typed(me, "응").startswith("반품을 접수했어요")
    _, claims, _, _ = rows(stack, muffler.id)
    assert [(c.kind, c.reason, c.fee, c.refund_amount) for c in claims] == \
        [("return", policy.DEFECT, 0, muffler.total_amount)]
    PASSED.append("return, typed defect")


def test_return_order_by_name_reason_typed_then_declined_with_anyo(stack):
    me = stack.customer(7)
    knit = named(stack, 7, "캐시미어 라운드 니트")
    assert "어떤 주문인가요" in typed(me, "반품하고 싶어요")
    assert "반품하시는 이유" in typed(me, "캐시미어 니트요")
    assert "반품을 신청할까요" in typed(me, "그냥 마음이 바뀌었어요")
    assert typed(me, "아뇨") == reply("utter_change_declined")
    order, claims, _, _ = rows(stack, knit.id)
    assert (order.status, claims) == ("DELIVERED", [])
    PASSED.append("return declined, 아뇨")


def test_exchange_typed_yes_goes_to_the_seller(stack):
    me = stack.customer(3)  # not 6: the console test looks for 강태민's agent ticket by name
    shelf = next(o for o in find_orders_of(stack, 3, Status.DELIVERED) if o.items[0].product_name == "캐시미어 라운드 니트")
    assert typed(me, f"{shelf.id} 교환하고 싶어요 사이즈가 안 맞아요").endswith("요청할까요?")
    assert "판매자에게 교환을 요청했어요" in typed(me, "그렇게 해주세요")
    order, claims, _, tickets = rows(stack, shelf.id)
    assert order.status == "EXCHANGE_REQUESTED"
    assert [(c.kind, c.status, c.reason) for c in claims] == [("exchange", "requested", policy.CHANGE_OF_MIND)]
    mine = [t for t in tickets if t.conversation_id == me.conversation_id]  # other tests ask about this order too
    assert [(t.target, t.kind, t.claim_id) for t in mine] == [("seller", "exchange", claims[0].id)]
    PASSED.append("exchange, 그렇게 해주세요")


# --------------------------------------------------------------------------- address, refund status


def test_address_change_of_a_paid_order_all_typed(stack):
    me = stack.customer(6)
    duvet = named(stack, 6, "호텔식 구스 이불")
    assert duvet.status == "PAID"
    assert "어떤 주문인가요" in typed(me, "배송지 바꾸고 싶어요")
    assert typed(me, "이불이요") == reply("utter_ask_address_form_new_address")
    address = "서울시 강남구 테헤란로 123, 101동 202호"
    assert typed(me, f"{address}로 바꿔주세요") == reply("utter_address_confirm_now", order_id=duvet.id, address=address)
    assert typed(me, "네") == reply("utter_address_done", address=address)
    order, _, audits, _ = rows(stack, duvet.id)
    assert order.shipping_address == address
    assert audits[-1].action == "address_change" and audits[-1].after["shipping_address"] == address
    PASSED.append("address change, typed address")


def test_refund_status_order_chosen_by_name(stack):
    me = stack.customer(4)
    foam = named(stack, 4, "약산성 클렌징 폼")
    assert foam.status == "REFUNDED"
    assert "어떤 주문인가요" in typed(me, "환불 언제 들어와요?")
    claim = rows(stack, foam.id)[1][-1]
    expected = reply("utter_refund_status", order_id=foam.id, kind_label=CLAIM_KIND_LABELS[claim.kind],
                     claim_no=claim.claim_no, claim_status_label=CLAIM_STATUS_LABELS[claim.status],
                     amount=won(claim.refund_amount),
                     when=refund_timing(claim.kind, claim.status, claim.expected_refund_date))
    assert typed(me, "클렌징 폼이요") == expected
    PASSED.append("refund status by product name")


def find_orders_of(stack, customer_id: int, status: Status) -> List[Order]:
    with session_scope(stack.database_url) as s:
        found = find_orders(s, customer_id=customer_id, status=status)
        for order in found:
            _ = order.seller, order.items
        return found

