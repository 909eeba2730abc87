"""Order numbers and phone last-4 digits in raw text (standard library only).

- `find_order_ids`: order numbers, an order date (YYYYMMDD, a real calendar day) and a
  6-digit sequence; each value is the 14 digits, whatever separated them in the text.
- `normalize_order_id`: the first order number of a text, as 14 digits.
- `find_phone_last4`: the last four digits of a phone number, from a full Korean number
  or a 4-digit run standing alone, but not a quantity, a group of a longer number or a
  part of an order number.

Each match is `(value, start, end)` with character offsets into the text. The Rasa
component `bot.nlp.entities.KoreanNumberEntityExtractor` turns them into entities;
`bot.nlp.pii` reuses the area codes and keeps order numbers out of its phone masking.
Importing this module does not import Rasa.
"""
from __future__ import annotations

import datetime
import re
from typing import List, Optional, Tuple

# (value, start, end): `start`/`end` are character offsets into the text.
Match = Tuple[str, int, int]

ORDER_ID = "order_id"
PHONE_LAST4 = "phone_last4"

# Between the digit groups of a written-out order number: nothing, spaces, or a
# hyphen/dot with optional spaces (2026-1119-000288, 2026 1119 000288, 2026.11.19-000288).
_ORDER_ID_GAP = r"(?:[^\S\n]*[-.\u2010-\u2015][^\S\n]*|[^\S\n]+)?"
# YYYY MM DD then a 6-digit sequence, each gap optional; not inside a longer digit
# run, and not an amount (「2026.11.15 129000원」 is a date and a price).
_ORDER_ID_RE = re.compile(
    rf"(?<![0-9])(20[0-9]{{2}}){_ORDER_ID_GAP}(0[1-9]|1[0-2]){_ORDER_ID_GAP}"
    rf"(0[1-9]|[12][0-9]|3[01]){_ORDER_ID_GAP}([0-9]{{6}})(?![0-9])(?![^\S\n]*원)"
)

# Korean area/mobile code after the leading 0: 010, 02, 031, 070, ...
PHONE_AREA_CODE = r"(?:1[016789]|2|[3-6][1-5]|70)"
# 010-1234-5678, 01012345678, 02 123 4567, +82 10-1234-5678; "last4" is the tail.
_PHONE_RE = re.compile(
    rf"(?<![0-9])(?:\+82[ -]?0?|0){PHONE_AREA_CODE}"
    r"[-. ]?[0-9]{3,4}[-. ]?(?P<last4>[0-9]{4})(?![0-9])"
)

_FOUR_DIGITS_RE = re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])")

# A 4-digit run followed directly by one of these is a quantity, not a phone tail.
_UNIT_AFTER_RE = re.compile(
    r"(?:원|만|천|억|년|월|일|시|분|초|개|번째|명|회|건|장|권|벌|층|호|동|번지|평|살|세|박"
    r"|%|km|kg|mg|ml|cm|mm|g|l|m)",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = "₩$€¥£"
# Separators that glue digit groups into one number: 2026-11-15, 1,2345, 12:30.
_NUMBER_SEPARATORS = "-.,:/~"
_GROUP_BEFORE_RE = re.compile(r"(?P<digits>[0-9]+)(?P<sep>\s|[-.,:/~])\Z")
_GROUP_AFTER_RE = re.compile(r"(?P<sep>\s|[-.,:/~])(?P<digits>[0-9]+)")


def _is_date(year: str, month: str, day: str) -> bool:
    try:
        datetime.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def find_order_ids(text: str) -> List[Match]:
    """Finds order numbers (YYYYMMDD + 6 digits); values are the 14 digits.

    The digit groups may be written apart: 2026-1119-000288, 2026 1119 000288 and
    20261119-000288 all give "20261119000288", spanning the whole written form.
    """
    found: List[Match] = []
    for m in _ORDER_ID_RE.finditer(text):
        year, month, day, sequence = m.groups()
        if _is_date(year, month, day):
            found.append((year + month + day + sequence, m.start(), m.end()))
    return found


def normalize_order_id(text: str) -> Optional[str]:
    """Returns the first order number in `text` as 14 digits, or None."""
    found = find_order_ids(text)
    return found[0][0] if found else None


def _glued_to_other_number(
    text: str, start: int, end: int, order_ids: List[Tuple[int, int]]
) -> bool:
    """True if text[start:end] is one group of a bigger number.

    Groups joined by -.,:/~ (2026-11-15, 1234-5678) always count; groups joined
    by one space count when the neighbour is short (1234 5678 9012 3456), so
    "20261115000203 1234" still yields the 1234. A neighbour that belongs to an
    order number (`order_ids` spans) is that number's group, not this one's.
    """
    neighbours = [
        _GROUP_BEFORE_RE.search(text, 0, start),
        _GROUP_AFTER_RE.match(text, end),
    ]
    return any(
        n is not None
        and not _overlaps(n.start("digits"), n.end("digits"), order_ids)
        and (n["sep"] in _NUMBER_SEPARATORS or len(n["digits"]) <= 4)
        for n in neighbours
    )


def _overlaps(start: int, end: int, spans: List[Tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


def find_phone_last4(text: str) -> List[Match]:
    """Finds the last four digits of phone numbers.

    Either the tail of a full number (010-1234-5678 -> "5678") or a 4-digit run
    standing alone ("뒷자리 0427이요"), but not a quantity (1234원, 2026년), a
    group of a bigger number (2026-11-15, card numbers) or part of an order number.
    """
    order_ids = [(start, end) for _, start, end in find_order_ids(text)]
    taken = list(order_ids)
    found: List[Match] = []
    for m in _PHONE_RE.finditer(text):
        if not _overlaps(m.start(), m.end(), taken):
            found.append((m.group("last4"), m.start("last4"), m.end("last4")))
            taken.append((m.start(), m.end()))
    for m in _FOUR_DIGITS_RE.finditer(text):
        start, end = m.start(), m.end()
        if (
            _overlaps(start, end, taken)
            or _UNIT_AFTER_RE.match(text, end)
            or (start > 0 and text[start - 1] in _CURRENCY_BEFORE)
            or _glued_to_other_number(text, start, end, order_ids)
        ):
            continue
        found.append((m.group(), start, end))
    return sorted(found, key=lambda match: match[1])
