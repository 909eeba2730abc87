"""Korean keyword heuristics (bot.nlp.keywords): what the words say, case by case."""
from __future__ import annotations

from datetime import date

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
        ("색상이 사진이랑 달라요", policy.CHANGE_OF_MIND),
        ("그냥 마음이 바뀌었어요", policy.CHANGE_OF_MIND),
        ("마음 바꼈어요", policy.CHANGE_OF_MIND),
        ("색깔이 생각이랑 달라요", policy.CHANGE_OF_MIND),
        ("핏이 별로예요", policy.CHANGE_OF_MIND),
        ("불량이에요 박스가 찌그러져 왔어요", policy.DEFECT),
        ("박스가 찌그러져서 왔어요", policy.DEFECT),
        ("다른 제품이 배송됐어요", policy.WRONG_ITEM),
        ("반품이요", None),
        ("환불해 주세요", None),
        ("상담원 연결해 주세요", None),
        ("반품비 얼마예요?", None),
        ("", None),
    ],
)
def test_reason_from_text(text, reason):
    assert keywords.reason_from_text(text) == reason


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "text, address",
    [
        ("서울시 강남구 테헤란로 123, 101동 202호로 바꿔주세요", "서울시 강남구 테헤란로 123, 101동 202호"),
        ("서울시 마포구 월드컵로 12, 3층으로 변경해 주세요", "서울시 마포구 월드컵로 12, 3층"),
        ("새 주소는 부산시 해운대구 우동 1408 이에요", "부산시 해운대구 우동 1408"),
        ("배송지: 경기도 성남시 분당구 판교역로 235", "경기도 성남시 분당구 판교역로 235"),
        ("서울특별시 마포구 월드컵북로 396", "서울특별시 마포구 월드컵북로 396"),
        ("  성남시 분당구 정자일로 95  ", "성남시 분당구 정자일로 95"),
        ("취소", "취소"),
    ],
)
def test_address_from_text_drops_the_request_around_it(text, address):
    assert keywords.address_from_text(text) == address
    assert keywords.is_valid_address(address) == (address != "취소")


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


@pytest.mark.parametrize(
    "text, answer",
    [
        ("응", True), ("네네", True), ("ㅇㅇ", True), ("넵!", True), ("좋아요 진행해 주세요", True),
        ("그렇게 해주세요", True), ("ok", True), ("OK~", True), ("yes", True), ("네, 취소할게요", True),
        ("신청할게요", True), ("요청할게요", True), ("네 반품 신청할게요", True), ("응 해줘", True),
        ("아뇨", False), ("아니요", False), ("됐어요", False), ("안 할래요", False), ("no", False),
        ("아니요 괜찮아요", False), ("ㄴㄴ", False), ("그냥 둘게요", None), ("싫어요", False),
        ("아니 배송지 바꾸고 싶어요", None),  # says more than no: left to its intent
        ("네 괜찮아요", None),  # both: not a plain answer
        ("취소할게요", None),  # alone, it could mean either
        ("상담원 연결해 주세요", None), ("배송비 얼마예요?", None), ("", None),
    ],
)
def test_yes_or_no(text, answer):
    assert keywords.yes_or_no(text) is answer


CHOICES = [
    {"order_id": "20261124000318", "title": "무선 이어폰 외 1건", "names": ["무선 이어폰", "충전 케이블"],
     "status": "SHIPPED", "ordered": "2026-11-24"},
    {"order_id": "20261127000041", "title": "극세사 이불", "names": ["극세사 이불"],
     "status": "PREPARING", "ordered": "2026-11-27"},
    {"order_id": "20261128000007", "title": "오버핏 니트", "names": ["오버핏 니트"],
     "status": "PAID", "ordered": "2026-11-28"},
]
TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    "text, index",
    [
        ("두번째요", 1), ("두 번째 거요", 1), ("첫번째 거", 0), ("1번이요", 0), ("세번째", 2), ("마지막 거", 2),
        ("맨 아래 거요", 2),
        ("이불이요", 1), ("무선 이어폰 거요", 0), ("케이블", 0), ("니트 주문한 거", 2),  # product, or a part
        ("배송중인 거요", 0), ("준비중인 거", 1), ("결제완료된 거요", 2),  # status
        ("어제 주문한 거", 1), ("오늘 주문한 거요", 2),  # order day
        ("어제 주문한 이불이요", 1),
        ("그거요", None), ("상담원 연결해 주세요", None), ("배송비 얼마예요", None),
        ("그저께 주문한 거", None),  # no order that day
        ("네번째요", None),  # only three offered
    ],
)
def test_chosen_order(text, index):
    expected = CHOICES[index]["order_id"] if index is not None else None
    assert keywords.chosen_order(text, CHOICES, TODAY) == expected


def test_chosen_order_needs_exactly_one():
    two_knits = CHOICES + [dict(CHOICES[2], order_id="20261120000001", status="DELIVERED", ordered="2026-11-20")]
    assert keywords.chosen_order("니트요", two_knits, TODAY) is None
    assert keywords.chosen_order("배송완료된 니트요", two_knits, TODAY) == "20261120000001"
    assert keywords.chosen_order("두번째요", [], TODAY) is None


@pytest.mark.parametrize(
    "question, text, answer",
    [
        ("return_reason", "색상이 사진이랑 달라요", policy.CHANGE_OF_MIND),
        ("return_reason", "불량이에요 박스가 찌그러져 왔어요", policy.DEFECT),
        ("return_reason", "다른 상품이 왔어요", policy.WRONG_ITEM),
        ("return_reason", "상담원 연결해 주세요", None),  # changes the subject
        ("order_choice", "두번째요", CHOICES[1]["order_id"]),
        ("confirm", "좋아요 진행해 주세요", True),
        ("confirm", "됐어요", False),
        ("confirm", "/affirm", None),  # a button answers through its own intent
        ("confirm", "반품 기간이 며칠이에요?", None),
        (None, "응", None),
        ("address", "서울시 강남구 테헤란로 123", None),  # the address form reads addresses
    ],
)
def test_read_answer(question, text, answer):
    assert keywords.read_answer(question, text, CHOICES, TODAY) == answer


def test_named_scenario():
    assert keywords.named_scenario("두번째 거 취소해 주세요") == "cancel"
    assert keywords.named_scenario("배송중인 거요") is None


def test_a_request_made_before_the_list_is_not_read_by_ordinal():
    assert keywords.chosen_order("두번째 주문 취소요", CHOICES, TODAY, ordinals=False) is None
    assert keywords.chosen_order("어제 주문한 거 취소요", CHOICES, TODAY, ordinals=False) == CHOICES[1]["order_id"]
