"""Order numbers and phone last-4 digits in raw text (bot.nlp.numbers)."""
from __future__ import annotations

from typing import List, Tuple

import pytest

from bot.nlp.numbers import find_order_ids, find_phone_last4, normalize_order_id


def values(matches: List[Tuple[str, int, int]]) -> List[str]:
    return [value for value, _, _ in matches]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("20261115000203", ("20261115000203", 0, 14)),
        ("20261115000203이요", ("20261115000203", 0, 14)),
        ("주문번호는20261118000342입니다", ("20261118000342", 5, 19)),
        ("주문번호 20261115-000203 입니다", ("20261115000203", 5, 20)),
        ("20261115 000203요", ("20261115000203", 0, 15)),
        ("20240229000001 확인해주세요", ("20240229000001", 0, 14)),
    ],
)
def test_finds_order_ids(text: str, expected: Tuple[str, int, int]) -> None:
    assert find_order_ids(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "202611150002031",  # 15 digits
        "120261115000203",  # 15 digits, order number at the end
        "2026111500020",  # 13 digits
        "20261399000203",  # month 13
        "20261132000203",  # day 32
        "20260230000203",  # 30 February
        "19991115000203",  # year before 2000
        "2026-11-15 주문했어요",
        "12,000원 결제했어요",
    ],
)
def test_rejects_what_is_not_an_order_id(text: str) -> None:
    assert find_order_ids(text) == []


def test_normalize_order_id() -> None:
    assert normalize_order_id("20261115-000203") == "20261115000203"
    assert normalize_order_id(" 주문번호 20261115 000203이요") == "20261115000203"
    assert normalize_order_id("20261399000203") is None
    assert normalize_order_id("") is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1234", [("1234", 0, 4)]),
        ("1234요", [("1234", 0, 4)]),
        ("뒷자리 5678이에요", [("5678", 4, 8)]),
        ("끝번호는 0427", [("0427", 5, 9)]),
        ("010-1234-5678", [("5678", 9, 13)]),
        ("01012345678로 주문했어요", [("5678", 7, 11)]),
        ("010 1234 5678", [("5678", 9, 13)]),
        ("+82 10-1234-5678", [("5678", 12, 16)]),
        ("주문번호 20261115000203 1234", [("1234", 20, 24)]),
        ("20261115000203, 폰 뒷자리 0001이요", [("0001", 22, 26)]),
    ],
)
def test_finds_phone_last4(text: str, expected: List[Tuple[str, int, int]]) -> None:
    assert find_phone_last4(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026년에 주문했어요",
        "1234원 결제했어요",
        "12,000원이요",
        "배송비 3000원",
        "₩1234",
        "20261115000203",
        "20261115000203이요",
        "20261115-000203",
        "2026-11-15",
        "2026.11.15",
        "1234-5678-9012-3456",
        "1234 5678 9012 3456",
        "12345",
        "1234번째 주문",
        "1200개 남았나요",
        "1500kg",
        "3.1415",
        "101동 1203호",
        "1시 30분",
    ],
)
def test_rejects_what_is_not_a_phone_last4(text: str) -> None:
    assert find_phone_last4(text) == []


def test_order_id_digits_never_yield_phone_last4() -> None:
    text = "20261115000203 주문이요"
    assert values(find_order_ids(text)) == ["20261115000203"]
    assert find_phone_last4(text) == []
