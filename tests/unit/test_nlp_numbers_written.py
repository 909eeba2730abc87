"""Order numbers written with hyphens, spaces or dots between their digit groups."""
from __future__ import annotations

from typing import List, Tuple

import pytest

from bot.nlp.entities import find_number_entities
from bot.nlp.numbers import find_order_ids, find_phone_last4, normalize_order_id


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-1119-000288 배송조회요", ("20261119000288", 0, 16)),
        ("2026 1119 000288 배송조회요", ("20261119000288", 0, 16)),
        ("20261119-000288", ("20261119000288", 0, 15)),
        ("20261119 000288", ("20261119000288", 0, 15)),
        ("2026.11.19-000288이요", ("20261119000288", 0, 17)),
        ("2026-11-19-000288", ("20261119000288", 0, 17)),
        ("2026 - 1119 - 000288 취소요", ("20261119000288", 0, 20)),
        ("2026–1119–000288", ("20261119000288", 0, 16)),  # en dashes
        ("주문번호는 2026-1119-000288번입니다", ("20261119000288", 6, 22)),
    ],
)
def test_finds_order_ids_written_in_groups(text: str, expected: Tuple[str, int, int]) -> None:
    assert find_order_ids(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-15 주문했어요",  # a date
        "2026.11.15 129000원 결제했는데요",  # a date and an amount
        "2026-1119-0002881",  # 7-digit sequence
        "2026-1319-000288",  # month 13
        "2026-0230-000288",  # 30 February
        "1999-1119-000288",  # year before 2000
        "2026\n1119-000288",  # groups on two lines
        "1234 5678 9012 3456",  # card number
    ],
)
def test_rejects_what_is_not_an_order_id_written_in_groups(text: str) -> None:
    assert find_order_ids(text) == []


def test_normalizes_written_order_ids_to_fourteen_digits() -> None:
    assert normalize_order_id("2026-1119-000288") == "20261119000288"
    assert normalize_order_id("주문 2026 1119 000288 이요") == "20261119000288"
    assert normalize_order_id("2026.11.19.000288") == "20261119000288"


def test_several_written_order_ids_in_one_message() -> None:
    text = "2026-1119-000288 하고 2026 1120 000301 두개요"

    assert [value for value, _, _ in find_order_ids(text)] == ["20261119000288", "20261120000301"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-1119-000288 뒷자리 1234", [("1234", 21, 25)]),
        ("2026 1119 000288 5678", [("5678", 17, 21)]),
        ("1234 2026-1119-000288", [("1234", 0, 4)]),
        ("2026-1119-000288 010-3345-6678", [("6678", 26, 30)]),
        ("2026-1119-000288", []),
        ("2026 1119 000288", []),
    ],
)
def test_phone_last4_next_to_a_written_order_id(
    text: str, expected: List[Tuple[str, int, int]]
) -> None:
    assert find_phone_last4(text) == expected


def test_entities_carry_the_normalized_value_and_the_written_span() -> None:
    assert find_number_entities("2026-1119-000288 배송조회요") == [
        {
            "entity": "order_id",
            "start": 0,
            "end": 16,
            "value": "20261119000288",
            "confidence_entity": 1.0,
        }
    ]
