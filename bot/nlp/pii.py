"""Find and mask personal data in Korean chat text (for logs, analytics, exports).

A blank spaCy pipeline (`xx`: spaCy's Korean tokenizer needs MeCab) with a
tokenizer tuned for Korean chat and a rule-based `Matcher` finds phone numbers,
e-mail addresses, card numbers, resident registration numbers and street
addresses. Order numbers (YYYYMMDD + 6 digits) are never masked.

    mask_pii("010-1234-5678로 연락주세요")  ->  "[전화번호]로 연락주세요"

spaCy is imported and the pipeline built on first use, without TensorFlow (see
`_import_spacy`). Text without any digit or "@" never reaches spaCy.
"""
from __future__ import annotations

import datetime
import logging
import re
import sys
import threading
from types import ModuleType
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from bot.nlp.numbers import PHONE_AREA_CODE, find_order_ids

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Span

# Labels: the text that replaces a span is f"[{label}]".
PHONE = "전화번호"
EMAIL = "이메일"
CARD = "카드번호"
RRN = "주민등록번호"
ADDRESS = "주소"

Pii = Tuple[str, int, int]  # (label, start, end)
Pattern = List[Dict[str, Any]]


def _regex(pattern: str) -> Dict[str, Any]:
    """A token whose whole text matches `pattern`."""
    return {"TEXT": {"REGEX": f"^(?:{pattern})$"}}


_AREA = f"0{PHONE_AREA_CODE}"  # 010, 02, 031, 070, ...
# A phone number without its leading 0 / +82: 10-1234-5678, 2.123.4567.
_NATIONAL = rf"{PHONE_AREA_CODE}[-.]?[0-9]{{3,4}}[-.]?[0-9]{{4}}"
_PHONE_TOKEN = _regex(rf"(?:\+82[-.]?0?|0){_NATIONAL}")
_EMAIL_TOKEN = _regex(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CARD_TOKEN = _regex(r"[0-9]{4}(?:-[0-9]{4}){2}-[0-9]{1,7}|[0-9]{13,19}")
_RRN_TOKEN = _regex(r"[0-9]{6}-[0-9]{7}|[0-9]{13}")

_SIDO = (
    r"(?:서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주"
    r"|충청북|충청남|전라북|전라남|경상북|경상남)"
    r"(?:특별시|광역시|특별자치시|특별자치도|도|시)?"
)
# Common words that end like a 시/군/구 name but are not one.
_NOT_REGIONS = ["혹시", "다시", "잠시", "역시", "동시", "당시", "즉시", "항시", "수시",
                "가구", "친구", "도구", "입구", "출구", "요구", "연구", "창구"]
_REGION = {
    "TEXT": {"REGEX": rf"^(?:{_SIDO}|[가-힣]{{1,6}}(?:시|군|구))$", "NOT_IN": _NOT_REGIONS}
}
_NUMBER = _regex(r"[0-9]{1,5}(?:-[0-9]{1,5})?")
# 테헤란로, 판교역로, 세종대로; not the particle (으)로 as in 집으로.
_ROAD = _regex(r"[가-힣]*[가-힣](?<!으)로|[가-힣]+길")
_DONG = _regex(r"[가-힣]+(?:동|읍|면|리|가)")  # 역삼동, 양평읍, 종로가

# A street: road or neighbourhood name, possibly with a number inside
# (the tokenizer splits 테헤란로8길 into 테헤란로 8 길, 역삼1동 into 역삼 1 동).
_STREETS: List[Pattern] = [
    [_ROAD],
    [_ROAD, _NUMBER, _regex(r"번?길")],
    [_DONG],
    [_regex(r"[가-힣]+"), _NUMBER, _regex(r"동|가")],
]
_BUILDING: Pattern = [_NUMBER]  # 123, 12-3
_LOT: Pattern = [_NUMBER, _regex(r"번지.*")]  # 123-45번지
_UNITS: List[Pattern] = [
    [_NUMBER, _regex(r"(?:동|호|층).*")],  # 5층, 1203호
    [_NUMBER, _regex(r"동.*"), _NUMBER, _regex(r"(?:호|층).*")],  # 101동 1203호
]


def _address_patterns() -> List[Pattern]:
    region = {**_REGION, "OP": "+"}
    patterns: List[Pattern] = []
    for street in _STREETS:
        # With a region (서울 강남구, 성남시 분당구): any street and number.
        for number in (_BUILDING, _LOT):
            patterns.append([region, *street, *number])
            patterns.extend([region, *street, *number, *unit] for unit in _UNITS)
        # Without a region: only with a lot number or an apartment unit.
        patterns.append([*street, *_LOT])
        patterns.extend([*street, *_BUILDING, *unit] for unit in _UNITS)
    return patterns


# Which label wins when two spans of equal length overlap.
_PRIORITY = [RRN, PHONE, EMAIL, CARD, ADDRESS]
_PATTERNS: Dict[str, List[Pattern]] = {
    PHONE: [
        [_PHONE_TOKEN],
        [_regex(_AREA), _regex(r"[0-9]{3,4}"), _regex(r"[0-9]{4}")],  # 010 1234 5678
        [_regex(r"\+82"), _regex(f"0?{PHONE_AREA_CODE}"),  # +82 10 1234 5678
         _regex(r"[0-9]{3,4}"), _regex(r"[0-9]{4}")],
        [_regex(r"\+82"), _regex(f"0?{_NATIONAL}")],  # +82 10-1234-5678
        # 02)123-4567, (02)123-4567
        [{"TEXT": "(", "OP": "?"}, _regex(_AREA), {"TEXT": ")"}, _regex(r"[0-9]{3,4}-?[0-9]{4}")],
    ],
    EMAIL: [[_EMAIL_TOKEN]],
    CARD: [
        [_CARD_TOKEN],
        [_regex(r"[0-9]{4}"), _regex(r"[0-9]{4}"), _regex(r"[0-9]{4}"), _regex(r"[0-9]{1,7}")],
    ],
    RRN: [[_RRN_TOKEN], [_regex(r"[0-9]{6}"), _regex(r"[0-9]{7}")]],
    ADDRESS: _address_patterns(),
}

# Our own infixes replace spaCy's defaults: split where Korean glues particles
# onto numbers and e-mails (5678로, abc@x.com으로, 번호010...) and at ( ) : ; , /
# but never inside 010-1234-5678, 900101-1234567 or User.Name@x.com.
_INFIXES = [
    r"(?<=[가-힣])(?=[0-9A-Za-z+])",
    r"(?<=[0-9A-Za-z])(?=[가-힣])",
    r"[():;,/~]|\.{2,}|…",
]


def _import_spacy() -> ModuleType:
    """spaCy, without letting thinc (below it) import TensorFlow.

    thinc imports TensorFlow whenever it is installed (Rasa installs it), only to offer its
    TensorFlow layers, which a blank pipeline and a Matcher never use: in the gateway that was
    about 6 s and 0.5 GB of the process's 0.65 GB. While spaCy is imported, `import tensorflow`
    fails (a None in sys.modules), so thinc goes without; afterwards TensorFlow can be imported
    as usual. A process that already has TensorFlow (Rasa) keeps it."""
    if "spacy" in sys.modules or "tensorflow" in sys.modules:
        import spacy

        return spacy
    sys.modules["tensorflow"] = None  # type: ignore[assignment]
    try:
        import spacy
    finally:
        if sys.modules.get("tensorflow", 0) is None:
            del sys.modules["tensorflow"]
    return spacy


def _build() -> Tuple["Language", "Matcher"]:
    spacy = _import_spacy()
    from spacy.matcher import Matcher
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("xx")
    nlp.tokenizer.infix_finditer = compile_infix_regex(_INFIXES).finditer
    nlp.tokenizer.url_match = None  # it swallows particles: abc@x.com으로
    matcher = Matcher(nlp.vocab)
    for label, patterns in _PATTERNS.items():
        matcher.add(label, patterns)
    return nlp, matcher


_pipeline: Optional[Tuple["Language", "Matcher"]] = None
_pipeline_lock = threading.Lock()


def _get_pipeline() -> Tuple["Language", "Matcher"]:
    global _pipeline
    if _pipeline is None:
        with _pipeline_lock:
            if _pipeline is None:
                _pipeline = _build()
    return _pipeline


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _rrn_ok(text: str) -> bool:
    """Grouped 6+7 digits always count; 13 bare digits need YYMMDD and a 1-8."""
    if not text.isdigit():
        return True
    if text[6] not in "12345678":
        return False
    century = 1900 if text[6] in "1256" else 2000
    try:
        datetime.date(century + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        return False
    return True


# An address ends at its last number or unit: 1203호로 -> 1203호.
_ADDRESS_END = re.compile(r".*[0-9](?:번지|동|호|층)?", re.DOTALL)


def _end_char(span: "Span") -> int:
    if span.label_ != ADDRESS:
        return span.end_char
    return span.start_char + _ADDRESS_END.match(span.text).end()


def _plausible(label: str, text: str) -> bool:
    """Checks that regexes cannot express. Bare digit runs need a checksum."""
    if label == CARD and text.isdigit():
        return _luhn_ok(text)
    if label == RRN:
        return _rrn_ok(text)
    return True


def find_pii(text: str) -> List[Pii]:
    """Returns (label, start, end) for each piece of personal data, in order."""
    if not any(char.isdigit() for char in text) and "@" not in text:
        return []
    nlp, matcher = _get_pipeline()
    from spacy.util import filter_spans  # spaCy is loaded now (without TensorFlow)

    order_ids = [(start, end) for _, start, end in find_order_ids(text)]
    spans = [
        span
        for span in matcher(nlp(text), as_spans=True)
        if _plausible(span.label_, span.text)
        and not any(
            span.start_char < o_end and o_start < span.end_char
            for o_start, o_end in order_ids
        )
    ]
    # filter_spans keeps the longest of overlapping spans, the first one on equal
    # length: order by label priority first (13 bare digits: RRN before card).
    spans.sort(key=lambda span: _PRIORITY.index(span.label_))
    found = [(span.label_, span.start_char, _end_char(span)) for span in filter_spans(spans)]
    return sorted(found, key=lambda pii: pii[1])


def mask_pii(text: str) -> str:
    """Replaces each piece of personal data with its label, e.g. "[전화번호]"."""
    parts = []
    position = 0
    for label, start, end in find_pii(text):
        parts.append(text[position:start])
        parts.append(f"[{label}]")
        position = end
    parts.append(text[position:])
    return "".join(parts)


class PiiMaskingFilter(logging.Filter):
    """Logging filter that masks personal data in messages and tracebacks.

    Attach it to handlers: `handler.addFilter(PiiMaskingFilter())`. Building it
    loads spaCy, so the one-off cost is paid at start-up, not on a request.
    """

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        _get_pipeline()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_pii(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_pii(record.exc_text)
        return True
