"""Personal data in what authors see and in what the studio writes to data/.

Authors see masks ("[전화번호]", "[이름]"); the training data gets realistic placeholders instead
(a made-up phone number, address, name), so the model still learns the shape of such messages
without keeping anybody's data. Phones, e-mails, cards, resident numbers and addresses come from
bot.nlp.pii; names are the ones the shop knows for that customer (passed in) plus names introduced
as such (「제 이름은 홍길동이에요」, 「받는 사람 김민지」).
"""
from __future__ import annotations

import re
from typing import Iterable, List, Tuple

from bot.nlp.pii import ADDRESS, CARD, EMAIL, PHONE, RRN, find_pii

NAME = "이름"
PLACEHOLDERS = {
    PHONE: "010-1234-5678",
    EMAIL: "hong@example.com",
    CARD: "1234-5678-1234-5678",
    RRN: "900101-1234567",
    ADDRESS: "서울시 마포구 월드컵로 12",
    NAME: "홍길동",
}
_INTRODUCED = re.compile(r"(?:제\s*이름은|이름은|받는\s*(?:사람|분)(?:은|는)?|수령인(?:은|는)?)\s*([가-힣]{2,4}?)"
                         r"(?=입니다|이에요|예요|이고|이요|요|님|\s|[.,!?]|$)")


def find_personal(text: str, names: Iterable[str] = ()) -> List[Tuple[str, int, int]]:
    """(label, start, end) of every piece of personal data, in order, without overlaps."""
    found = list(find_pii(text))
    for name in {n for n in names if n and len(n) >= 2}:
        found += [(NAME, m.start(), m.end()) for m in re.finditer(re.escape(name), text)]
    found += [(NAME, m.start(1), m.end(1)) for m in _INTRODUCED.finditer(text)]
    found.sort(key=lambda f: (f[1], -(f[2] - f[1])))
    kept: List[Tuple[str, int, int]] = []
    for item in found:
        if not kept or item[1] >= kept[-1][2]:
            kept.append(item)
    return kept


def _replace(text: str, names: Iterable[str], how) -> str:
    parts, position = [], 0
    for label, start, end in find_personal(text, names):
        parts += [text[position:start], how(label)]
        position = end
    return "".join(parts) + text[position:]


def mask(text: str, names: Iterable[str] = ()) -> str:
    """「010-9876-5432로 연락 주세요」 -> 「[전화번호]로 연락 주세요」: what an author sees."""
    return _replace(text, names, lambda label: f"[{label}]")


def placeholders(text: str, names: Iterable[str] = ()) -> str:
    """「010-9876-5432로 연락 주세요」 -> 「010-1234-5678로 연락 주세요」: what the training data gets."""
    return _replace(text, names, lambda label: PLACEHOLDERS[label])
