"""Personal data masking with the real spaCy rule-based pipeline."""
from __future__ import annotations

import io
import logging
import subprocess
import sys

import pytest

from bot.nlp.pii import (
    ADDRESS,
    CARD,
    EMAIL,
    PHONE,
    RRN,
    PiiMaskingFilter,
    find_pii,
    mask_pii,
)


@pytest.mark.parametrize(
    "text, masked",
    [
        ("010-1234-5678로 연락주세요.", "[전화번호]로 연락주세요."),
        ("연락처는 01012345678 입니다", "연락처는 [전화번호] 입니다"),
        ("번호010 1234 5678이요", "번호[전화번호]이요"),
        ("010.1234.5678", "[전화번호]"),
        ("+82 10-1234-5678", "[전화번호]"),
        ("+82 10 1234 5678", "[전화번호]"),
        ("사무실 02-123-4567", "사무실 [전화번호]"),
        ("(031)123-4567 이요", "[전화번호] 이요"),
        ("abc@gmail.com으로 보내주세요", "[이메일]으로 보내주세요"),
        ("메일: Kim.Chul+shop@Example.co.kr", "메일: [이메일]"),
        ("카드 1234-5678-9012-3456 입니다", "카드 [카드번호] 입니다"),
        ("카드번호:1234 5678 9012 3456이요", "카드번호:[카드번호]이요"),
        ("4111111111111111로 결제", "[카드번호]로 결제"),
        ("주민번호 900101-1234567", "주민번호 [주민등록번호]"),
        ("주민번호 9001011234567요", "주민번호 [주민등록번호]요"),
        ("서울특별시 강남구 테헤란로 123", "[주소]"),
        ("경기 성남시 분당구 판교역로 235 101동 1203호로 보내주세요", "[주소]로 보내주세요"),
        ("주소는 서울 강남구 역삼동 123-45 입니다", "주소는 [주소] 입니다"),
        ("역삼동 123-45번지로 바꿔주세요", "[주소]로 바꿔주세요"),
        ("서울시 종로구 종로1가 1번지", "[주소]"),
        ("서울 강남구 테헤란로8길 12-3 5층", "[주소]"),
        ("판교역로 235 101동 1203호요", "[주소]요"),
        ("부산광역시 해운대구 해운대로 570", "[주소]"),
    ],
)
def test_masks_personal_data(text: str, masked: str) -> None:
    assert mask_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "주문번호 20261115000203이요",
        "주문번호는20261115000203입니다",
        "20261115-000203",
        "20261115 000203",
        "12,000원 환불해주세요",
        "뒷자리 1234요",
        "2026년 11월 15일에 주문했어요",
        "2026-11-15",
        "오늘 3시에 받았어요",
        "혹시 바로 3개 되나요",
        "다시 추가 2개 주문할게요",
        "강남구 집으로 2개 보내주세요",
        "앞으로 3일 걸려요",
        "1234567890123",  # 13 digits: neither a birth date nor a card checksum
        "송장번호 123456789012",
        "ㅇㅇ 감사합니다",
        "",
    ],
)
def test_leaves_other_text_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_find_pii_reports_labels_and_offsets() -> None:
    text = "김철수 010-1234-5678, kim@naver.com, 서울 강남구 테헤란로 123"

    found = find_pii(text)

    assert [label for label, _, _ in found] == [PHONE, EMAIL, ADDRESS]
    assert [text[start:end] for _, start, end in found] == [
        "010-1234-5678",
        "kim@naver.com",
        "서울 강남구 테헤란로 123",
    ]


def test_order_number_next_to_personal_data() -> None:
    text = "20261115000203 주문자 900101-1234567 카드 1234-5678-9012-3456"

    assert [label for label, _, _ in find_pii(text)] == [RRN, CARD]
    assert mask_pii(text) == "20261115000203 주문자 [주민등록번호] 카드 [카드번호]"


def test_logging_filter_masks_formatted_messages() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PiiMaskingFilter())
    logger = logging.getLogger("test_nlp_pii")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.info("user said %r (order %s)", "010-1234-5678로 전화주세요", "20261115000203")
        try:
            raise ValueError("bad address 서울 강남구 테헤란로 123")
        except ValueError:
            logger.exception("failed for %s", "abc@gmail.com")
    finally:
        logger.removeHandler(handler)

    output = stream.getvalue()
    assert "user said '[전화번호]로 전화주세요' (order 20261115000203)" in output
    assert "failed for [이메일]" in output
    assert "bad address [주소]" in output
    assert "010-1234-5678" not in output
    assert "abc@gmail.com" not in output
    assert "테헤란로" not in output


def test_importing_the_module_loads_neither_rasa_nor_spacy() -> None:
    # Logging setup in the gateway and action server imports this module.
    check = (
        "import sys, bot.nlp.pii, bot.nlp.numbers;"
        "assert not {'rasa', 'spacy'} & set(sys.modules), 'heavy import'"
    )
    subprocess.run([sys.executable, "-c", check], check=True)


def test_masking_loads_spacy_without_tensorflow_which_stays_importable() -> None:
    # The gateway masks its logs; thinc would otherwise import TensorFlow (0.5 GB) with spaCy.
    check = (
        "import sys; from bot.nlp.pii import mask_pii;"
        "assert mask_pii('010-1234-5678로 연락주세요') == '[전화번호]로 연락주세요';"
        "assert 'spacy' in sys.modules and 'tensorflow' not in sys.modules, 'tensorflow imported';"
        "import tensorflow; assert tensorflow.constant(2).numpy() == 2"
    )
    subprocess.run([sys.executable, "-c", check], check=True)
