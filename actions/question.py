"""What the bot asked: the `question` slot (and the orders offered in `choices`).

An action that asks the customer something records it here, so that a typed answer
(「두번째요」「불량이에요」「응」) is read as the answer to that question, as the button would be
(bot.nlp.pending_question routes it to actions.answer).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from rasa_sdk.events import EventType, SlotSet

RETURN_REASON = "return_reason"
ORDER_CHOICE = "order_choice"
CONFIRM = "confirm"


def asked(question: str, choices: Optional[Sequence[Dict[str, Any]]] = None) -> List[EventType]:
    """Events recording that the bot has just asked `question` (offering `choices`, for an order choice)."""
    return [SlotSet("question", question), SlotSet("choices", list(choices) if choices else None)]


def answered() -> List[EventType]:
    """Events forgetting the question: it was answered, or a new scenario began."""
    return [SlotSet("question", None), SlotSet("choices", None)]
