"""The answer to the question the bot asked, typed instead of pressed.

bot.nlp.pending_question predicts this action when the customer's message answers the
pending question (actions.question) whatever NLU made of it; here the answer takes the
same path as the button: a reason or a chosen order continues the scenario, a yes/no
carries out or drops the pending change.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.confirm import confirm_change, decline_change
from actions.handoff import not_understood
from actions.identity import latest_text
from actions.question import CONFIRM, ORDER_CHOICE, RETURN_REASON
from actions.resume import SCENARIOS, resume
from bot.clock import KST
from bot.nlp.keywords import named_scenario, read_answer


class ActionAnswerQuestion(Action):
    def name(self) -> Text:
        return "action_answer_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        question = tracker.get_slot("question")
        text = latest_text(tracker)
        answer = read_answer(question, text, tracker.get_slot("choices") or (), datetime.now(KST).date())
        current = tracker.get_slot("scenario")
        if answer is None:  # only predicted on an answer; an old model or a race lands here
            return not_understood(dispatcher, tracker)
        if question == CONFIRM:
            return confirm_change(dispatcher, tracker) if answer else decline_change(dispatcher, tracker)
        if question == RETURN_REASON:
            tracker.slots["return_reason"] = answer  # as the reason button sets it
            name = current if current in ("refund", "return", "exchange") else "return"
            return [SlotSet("return_reason", answer)] + resume(dispatcher, tracker, name)
        if question == ORDER_CHOICE:
            tracker.slots["order_id"] = answer  # as the order button sets it
            # 「두번째 거 취소해 주세요」 names its own scenario; else the one that asked.
            name = named_scenario(text) or (current if current in SCENARIOS else "status")
            return [SlotSet("order_id", answer)] + resume(dispatcher, tracker, name)
        return not_understood(dispatcher, tracker)
