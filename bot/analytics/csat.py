"""When the widget may ask for a rating: at the end of a conversation, once, never mid-task.

The end is (a) the bot's goodbye or thanks after the customer's last message, or (b) a person
handing the conversation back or closing it after the customer's last message. The API that takes
the rating does not second-guess the widget; this only tells the widget when to offer it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional, Sequence, Set, Tuple

import yaml

ENDING_RESPONSES = ("utter_goodbye", "utter_thank")
SCORES = range(1, 6)
MAX_COMMENT = 500


def closing_texts(domain_path: Path) -> Set[str]:
    """The texts of the bot's goodbye and thanks in the domain."""
    responses = (yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}).get("responses") or {}
    return {v["text"].strip() for name in ENDING_RESPONSES for v in responses.get(name) or [] if v.get("text")}


def survey_due(messages: Sequence[Tuple[str, str]], finished_after_last_customer: bool, mode: str,
               already_shown: bool, closings: Iterable[str]) -> bool:
    """messages: (sender, text) in order. True when the conversation has just ended."""
    if already_shown or mode != "bot" or not messages or messages[-1][0] == "customer":
        return False
    last_customer = max((i for i, (sender, _) in enumerate(messages) if sender == "customer"), default=None)
    if last_customer is None:
        return False
    if finished_after_last_customer:
        return True
    closings = set(closings)
    return any(sender == "bot" and text.strip() in closings for sender, text in messages[last_customer + 1:])


def rating_error(score: object, comment: object) -> Optional[str]:
    """The Korean 400 message for a malformed rating, or None."""
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        return "별점은 1~5 사이의 정수로 선택해 주세요."
    if comment is not None and not isinstance(comment, str):
        return "의견은 글자로 입력해 주세요."
    if comment and len(comment) > MAX_COMMENT:
        return f"의견은 {MAX_COMMENT}자 이내로 입력해 주세요."
    return None
