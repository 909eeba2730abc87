"""Korean keyword heuristics (bot.nlp.keywords): what the words say, case by case."""
from __future__ import annotations

import pytest

from bot.nlp import keywords
from bot.shop import policy

# --------------------------------------------------------------------------- scenarios


@pytest.mark.parametrize(
    "text, scenario",
    [
        ("반품할게여", "return"),
        ("취소요", "cancel"),
        ("환불 언제 들어와요", "refund_status"),
        ("교환이요", "exchange"),
        ("배송지 바꿔주세요", "address"),
        ("이거요", "status"),
    ],
)
def test_scenario_from_text(text, scenario):
    assert keywords.scenario_from_text(text) == scenario


@pytest.mark.parametrize(
    "text, exchange",
    [
        ("사이즈 교환하고 싶어요 M으로요", True),
        ("사이즈 바꿔주세요", True),
        ("다른 색으로 바꿔 주세요", True),
        ("반품할게요", False),
        ("주소 바꿔주세요", False),
    ],
)
def test_wants_exchange(text, exchange):
    assert keywords.wants_exchange(text) is exchange


# --------------------------------------------------------------------------- claim reasons


@pytest.mark.parametrize(
    "text, reason",
    [
        ("불량이에요", policy.DEFECT),
        ("화면이 깨졌어요", policy.DEFECT),
        ("박스 열어보니 파손돼서 왔어요", policy.DEFECT),
        ("작동 안 해요", policy.DEFECT),
        ("얼룩이 있어요", policy.DEFECT),
        ("구멍이 나 있어요", policy.DEFECT),
        ("다른 상품이 왔어요", policy.WRONG_ITEM),
        ("잘못 왔어요", policy.WRONG_ITEM),
        ("오배송이요", policy.WRONG_ITEM),
        ("주문한거랑 달라요", policy.WRONG_ITEM),
        ("다른 색이 왔는데 파손도 있어요", policy.WRONG_ITEM),  # wrong item wins over defect
        ("단순변심이요", policy.CHANGE_OF_MIND),
        ("사이즈가 안 맞아요", policy.CHANGE_OF_MIND),
        ("그냥 마음에 안 들어요", policy.CHANGE_OF_MIND),
        ("맘에 안들어요", policy.CHANGE_OF_MIND),
        ("생각보다 별로네요", policy.CHANGE_OF_MIND),
        ("필요 없어졌어요", policy.CHANGE_OF_MIND),
        ("반품이요", None),
        ("환불해 주세요", None),
        ("", None),
    ],
)
def test_reason_from_text(text, reason):
    assert keywords.reason_from_text(text) == reason


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "text",
    [
        "서울특별시 마포구 월드컵북로 396",
        "서울 마포구 월드컵북로 396 101동 1203호",
        "부산광역시 해운대구 우동 1408",
        "경기도 성남시 분당구 판교역로 235",
        "제주특별자치도 제주시 첨단로 242",
        "  성남시 분당구 정자일로 95  ",
    ],
)
def test_valid_addresses(text):
    assert keywords.is_valid_address(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "서울",
        "집으로 보내주세요",
        "서울시 강남구",  # no street, no number
        "강남구 테헤란로",  # no number
        "테헤란로 152",  # no city or district
        "회사로 바꿔주세요 123",
        "서울시 강남구 테헤란로 152 " + "가" * 140,  # too long
    ],
)
def test_invalid_addresses(text):
    assert not keywords.is_valid_address(text)


# --------------------------------------------------------------------------- answers


def test_plain_answers_versus_sentences_not_followed():
    assert all(map(keywords.is_plain_answer, ["네", "ㅇㅇ", "아니요 괜찮아요", "네 알겠습니다", "아뇨 안할래요"]))
    assert not any(map(keywords.is_plain_answer, ["아니 그러니까 그거 그거", "그거 말고 저번에 그거요"]))


def test_giving_up_is_the_whole_answer():
    assert all(map(keywords.is_giving_up, ["취소", " 그만 ", "안 할래요", "ㄴㄴ"]))
    assert not any(map(keywords.is_giving_up, ["서울시 마포구 월드컵로 12 취소", "몰라요", ""]))
