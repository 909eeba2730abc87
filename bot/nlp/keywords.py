"""Korean keyword heuristics over what the customer wrote (standard library only).

Each function reads raw text and answers one question the actions ask; NLU intents
and entities come first, these fill in where the words say more than the intent:

- `scenario_from_text`: which scenario an order number given on its own is for;
- `wants_exchange`: an exchange rather than a return;
- `reason_from_text`: the claim reason (the codes of `bot.shop.policy`);
- `is_plain_answer`: a bare yes/no rather than a sentence the bot did not follow;
- `is_giving_up`: the customer stops the address form;
- `is_valid_address`: text that looks like a Korean delivery address;
- `address_from_text`: the address in 「…로 바꿔주세요」, without the request around it;
- `yes_or_no`: a typed yes/no in its casual forms (「응」「좋아요 진행해 주세요」「됐어요」);
- `chosen_order`: which offered order a typed answer means (ordinal, product, status, date);
- `named_scenario`: the scenario the words name, if they name one;
- `read_answer`: the answer to the question the bot asked, whatever NLU thought of the words.

Importing this module does not import Rasa, and changing it needs no retraining.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Dict, List, Optional, Sequence

# ----------------------------------------------------------------------------- scenarios

_SCENARIO_WORDS = [
    ("refund_status", re.compile(r"환불.*(언제|됐|되었|들어|진행|상태|처리)")),
    ("cancel", re.compile(r"취소")),
    ("exchange", re.compile(r"교환")),
    ("return", re.compile(r"반품|환불")),
    ("address", re.compile(r"배송지|주소")),
]


def scenario_from_text(text: str) -> str:
    """An order number given with no question pending: what the words around it ask for.

    NLU may file 「반품할게요 20261116000703이요」 under `inform`; the words still say it.
    """
    return next((scenario for scenario, words in _SCENARIO_WORDS if words.search(text)), "status")


def named_scenario(text: str) -> Optional[str]:
    """The scenario the words name (「취소」「교환」「반품」「배송지」), or None when they name none."""
    return next((scenario for scenario, words in _SCENARIO_WORDS if words.search(text)), None)


def wants_exchange(text: str) -> bool:
    """「교환」 or a swap of size/colour, rather than sending the item back for money."""
    return "교환" in text or "바꿔" in text and ("사이즈" in text or "색" in text)


# ----------------------------------------------------------------------------- claim reasons

_DEFECT_WORDS = re.compile(r"불량|파손|찌그러|깨져서|부서|깨[져졌진짐]|찢어|찢겨|고장|하자|구멍|얼룩|오염|작동\s*안|안\s*켜|터져|망가|흠집|스크래치|변질|상했")
_WRONG_WORDS = re.compile(r"오배송|잘못\s*(?:왔|온|배송|보내)|다른\s*(?:상품|제품|물건|게|거|색|사이즈)\s*(?:이|가)?\s*(?:왔|와|옴|배송)|주문한\s*거랑\s*달")
_MIND_WORDS = re.compile(r"변심|마음이?\s*(?:바뀌|바꼈|변했)|(?:사진|화면|설명|상세\s*페이지|생각)(?:이?랑|과|하고)\s*(?:달라|다르|틀려)|"
                         r"(?:색상?|색깔|컬러|사이즈|핏|재질)(?:이|가)?\s*(?:달라|다르|별로|안\s*어울)|안\s*어울|마음에\s*안|맘에\s*안|사이즈[가이]?\s*안\s*맞|안\s*맞아|작아|커요|커서|필요\s*없|생각보다|별로")


def reason_from_text(text: str) -> Optional[str]:
    """Guess the claim reason from what the customer wrote; None when it does not say.

    The values are the reason codes of `bot.shop.policy`: "wrong_item", "defect", "change_of_mind".
    """
    if _WRONG_WORDS.search(text):
        return "wrong_item"
    if _DEFECT_WORDS.search(text):
        return "defect"
    if _MIND_WORDS.search(text):
        return "change_of_mind"
    return None


# ----------------------------------------------------------------------------- answers

_YES_NO = re.compile(r"^(네|넹|넵|예|응|웅|ㅇㅇ|ㅇㅋ|오케이|좋아요|알겠|아니|아뇨|ㄴㄴ|노노|괜찮|됐어|싫어)")
_GIVE_UP_WORDS = {"취소", "그만", "그만할래요", "안할래요", "안 할래요", "됐어요", "괜찮아요", "ㄴㄴ"}


def is_plain_answer(text: str) -> bool:
    """A bare yes/no (「네」「ㅇㅇ」「아니요 괜찮아요」), as opposed to a sentence the bot did not follow."""
    compact = re.sub(r"[\s\W_]+", "", text)
    return len(compact) <= 4 or (len(compact) <= 8 and bool(_YES_NO.search(compact)))


# Whole-answer vocabularies, matched on the text without spaces and punctuation, longest first.
_YES_TOKENS = (
    "네네", "네", "넵", "넹", "넴", "예", "응응", "응", "웅", "엉", "ㅇㅇ", "ㅇㅋ", "ok", "okay", "yes", "yep", "yeah",
    "sure", "오케이", "오키", "좋아요", "좋아", "좋습니다", "그래요", "그래", "그럼요", "맞아요", "맞아", "알겠어요",
    "알겠습니다", "그렇게해주세요", "그렇게해줘요", "그렇게해줘", "그렇게할게요", "그렇게",
    "진행해주세요", "진행해줘요", "진행해줘", "진행할게요", "진행시켜주세요", "진행",
    "신청해주세요", "신청할게요", "신청", "요청해주세요", "요청할게요", "요청", "접수해주세요", "접수할게요",
    "바꿔주세요", "변경해주세요", "해주세요", "해줘요", "해줘", "할게요", "할께요", "부탁해요", "부탁드려요",
    "부탁합니다", "부탁드립니다", "부탁", "고고", "ㄱㄱ", "go",
)
_NO_TOKENS = (
    "아니요", "아니오", "아니에요", "아니야", "아니", "아뇨", "아녀", "아냐", "ㄴㄴ", "노노", "no", "nope", "nah",
    "됐어요", "됐습니다", "됐어", "됐고요", "괜찮아요", "괜찮습니다", "괜찮아", "안할래요", "안할게요", "안할래",
    "안해요", "안해도돼요", "안해도될것같아요", "필요없어요", "싫어요", "싫어", "그만할게요", "그만",
    "하지마세요", "하지말아주세요", "다음에할게요", "나중에할게요",
)
# Neutral: fillers, and the request echoed back (「네 취소해 주세요」), which alone answers nothing.
_FILLER_TOKENS = ("취소할게요", "취소해주세요", "취소", "반품", "교환", "배송지", "주소", "변경", "그냥", "음", "어", "요", "용", "여", "ㅎ", "ㅋ", "ㅠ", "ㅜ", "감사합니다", "고마워요", "please")
_ANSWER_TOKENS = sorted([(t, True) for t in _YES_TOKENS] + [(t, False) for t in _NO_TOKENS]
                        + [(t, None) for t in _FILLER_TOKENS], key=lambda pair: -len(pair[0]))


def yes_or_no(text: str) -> Optional[bool]:
    """A typed yes (True) or no (False) when that is the whole message; None for anything else.

    「응」「네네」「좋아요 진행해 주세요」「그렇게 해주세요」「ok」 are yes; 「아뇨」「됐어요」「안 할래요」「no」 are no.
    A sentence that says more (「아니 배송지 바꾸고 싶어요」) or both (「네 괜찮아요」) is not a plain answer.
    """
    rest = re.sub(r"[\s\W_]+", "", text.lower())
    said = set()
    while rest:
        match = next(((token, value) for token, value in _ANSWER_TOKENS if rest.startswith(token)), None)
        if match is None:
            return None
        rest = rest[len(match[0]):]
        if match[1] is not None:
            said.add(match[1])
    return said.pop() if len(said) == 1 else None


_ORDINALS = [
    (0, r"첫\s*번\s*째|첫\s*째|첫\s*번|1\s*번|하나|맨\s*(?:위|처음|앞)|처음\s*(?:거|꺼|것)"),
    (1, r"두\s*번\s*째|둘\s*째|두\s*번|2\s*번|둘"),
    (2, r"세\s*번\s*째|셋\s*째|세\s*번|3\s*번|셋"),
    (3, r"네\s*번\s*째|넷\s*째|4\s*번"),
    (4, r"다섯\s*번\s*째|5\s*번"),
    (-1, r"마지막|맨\s*(?:아래|밑|끝|뒤)"),
]
_STATUS_WORDS = [
    ("SHIPPED", r"배송\s*중|배달\s*중|오고\s*있|출발한|출고된|발송된"),
    ("PREPARING", r"준비\s*중|준비하는"),
    ("PAID", r"결제\s*완료|결제만|방금\s*(?:주문|결제)"),
    ("DELIVERED", r"배송\s*완료|받은|도착한|배달\s*완료"),
    ("CONFIRMED", r"구매\s*확정"),
]
_DAYS_AGO = [(0, r"오늘"), (1, r"어제"), (2, r"그제|그저께")]
_NAME_STOPWORDS = {"외", "건", "세트", "상품"}


def _words(name: str) -> List[str]:
    return [w for w in re.split(r"[\s\(\)\[\],/]+", name.lower()) if len(w) >= 2 and w not in _NAME_STOPWORDS
            and not re.fullmatch(r"\d+건?", w)]


def _name_score(compact: str, choice: Dict[str, Any]) -> int:
    names = choice.get("names") or [choice.get("title", "")]
    return max((sum(1 for w in _words(name) if w in compact) for name in names), default=0)


def chosen_order(text: str, choices: Sequence[Dict[str, Any]], today: date, ordinals: bool = True) -> Optional[str]:
    """Which of the offered orders the customer typed, or None when the words do not pick exactly one.

    `choices` are the offered orders in button order: {"order_id", "title", "names", "status", "ordered"
    (ISO date, KST)}. Read by ordinal (「두번째요」「마지막 거」), then narrowed by what the words say of
    the order: product name (「니트요」), status (「배송중인 거요」) and order day (「어제 주문한 거」).
    `ordinals=False` for a request made before any list was shown (「어제 주문한 거 취소요」).
    """
    if not choices:
        return None
    for index, pattern in _ORDINALS if ordinals else ():
        if re.search(pattern + r"(?!\d)", text) and -len(choices) <= index < len(choices):
            return choices[index]["order_id"]
    compact = re.sub(r"[\s\W_]+", "", text.lower())
    picked = list(choices)
    narrowed = False
    best = max(_name_score(compact, c) for c in picked)
    if best > 0:
        picked, narrowed = [c for c in picked if _name_score(compact, c) == best], True
    for status, pattern in _STATUS_WORDS:
        if re.search(pattern, text):
            picked, narrowed = [c for c in picked if c.get("status") == status], True
    for days, pattern in _DAYS_AGO:
        if re.search(pattern, text):
            day = (today - timedelta(days=days)).isoformat()
            picked, narrowed = [c for c in picked if c.get("ordered") == day], True
    return picked[0]["order_id"] if narrowed and len(picked) == 1 else None


def read_answer(question: Optional[str], text: str, choices: Sequence[Dict[str, Any]] = (),
                today: Optional[date] = None) -> Any:
    """The answer `text` gives to the pending `question`, or None when it does not answer it.

    question "return_reason" -> a reason code; "order_choice" -> an order id; "confirm" -> True/False.
    A message that does not answer (「상담원 연결해 주세요」, a new request, a FAQ) gives None, and the
    conversation goes where its intent leads.
    """
    if not text or text.startswith("/"):  # a button payload answers through its own intent
        return None
    if question == "return_reason":
        return reason_from_text(text)
    if question == "order_choice":
        return chosen_order(text, choices, today or date.today())
    if question == "confirm":
        return yes_or_no(text)
    return None


def is_giving_up(text: str) -> bool:
    """「취소」「그만」「됐어요」 as the whole answer: the customer stops rather than gives an address."""
    return text.strip() in _GIVE_UP_WORDS


# ----------------------------------------------------------------------------- addresses


_ADDRESS_PREFIX = re.compile(r"^\s*(?:새\s*)?(?:주소|배송지|배송\s*주소)(?:는|를|은|가)?\s*[:：]?\s*")
_ADDRESS_REQUEST = re.compile(
    r"(?:\s*(?:으로|로)?\s*(?:바꿔|바꾸|변경|수정|고쳐|보내|배송|옮겨)[가-힣\s]*"
    r"|\s*(?:이에요|예요|입니다|이요|요))[\s\.\!~]*$")


def address_from_text(text: str) -> str:
    """The address itself from 「서울시 강남구 테헤란로 123, 101동 202호로 바꿔주세요」 or 「새 주소는 …이에요」."""
    address = _ADDRESS_PREFIX.sub("", text.strip())
    stripped = _ADDRESS_REQUEST.sub("", address).strip()
    # 「…로 바꿔주세요」 leaves 「…202호」; 「…월드컵로로 바꿔주세요」 leaves 「…월드컵로」.
    return stripped.rstrip(" ,.") if re.search(r"\d", stripped) else address.strip()


def is_valid_address(text: str) -> bool:
    """A Korean delivery address: long enough and names a road, district or building number."""
    text = text.strip()
    if not 8 <= len(text) <= 150:
        return False
    has_place = re.search(r"(시|도|군|구)\s", text + " ") is not None
    has_street = re.search(r"[가-힣0-9]+(로|길|동|읍|면|리)(\s|\d|$)", text) is not None
    has_number = re.search(r"\d", text) is not None
    return has_place and has_street and has_number
