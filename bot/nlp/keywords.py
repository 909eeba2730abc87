"""Korean keyword heuristics over what the customer wrote (standard library only).

Each function reads raw text and answers one question the actions ask; NLU intents
and entities come first, these fill in where the words say more than the intent:

- `scenario_from_text`: which scenario an order number given on its own is for;
- `wants_exchange`: an exchange rather than a return;
- `reason_from_text`: the claim reason (the codes of `bot.shop.policy`);
- `is_plain_answer`: a bare yes/no rather than a sentence the bot did not follow;
- `is_giving_up`: the customer stops the address form;
- `is_valid_address`: text that looks like a Korean delivery address.

Importing this module does not import Rasa, and changing it needs no retraining.
"""
from __future__ import annotations

import re
from typing import Optional

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


def wants_exchange(text: str) -> bool:
    """「교환」 or a swap of size/colour, rather than sending the item back for money."""
    return "교환" in text or "바꿔" in text and ("사이즈" in text or "색" in text)


# ----------------------------------------------------------------------------- claim reasons

_DEFECT_WORDS = re.compile(r"불량|파손|깨[져졌진짐]|찢어|찢겨|고장|하자|구멍|얼룩|오염|작동\s*안|안\s*켜|터져|망가|흠집|스크래치|변질|상했")
_WRONG_WORDS = re.compile(r"오배송|잘못\s*(?:왔|온|배송|보내)|다른\s*(?:상품|제품|물건|게|거|색|사이즈)\s*(?:이|가)?\s*(?:왔|와|옴|배송)|주문한\s*거랑\s*달")
_MIND_WORDS = re.compile(r"변심|마음에\s*안|맘에\s*안|사이즈[가이]?\s*안\s*맞|안\s*맞아|작아|커요|커서|필요\s*없|생각보다|별로")


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


def is_giving_up(text: str) -> bool:
    """「취소」「그만」「됐어요」 as the whole answer: the customer stops rather than gives an address."""
    return text.strip() in _GIVE_UP_WORDS


# ----------------------------------------------------------------------------- addresses


def is_valid_address(text: str) -> bool:
    """A Korean delivery address: long enough and names a road, district or building number."""
    text = text.strip()
    if not 8 <= len(text) <= 150:
        return False
    has_place = re.search(r"(시|도|군|구)\s", text + " ") is not None
    has_street = re.search(r"[가-힣0-9]+(로|길|동|읍|면|리)(\s|\d|$)", text) is not None
    has_number = re.search(r"\d", text) is not None
    return has_place and has_street and has_number
