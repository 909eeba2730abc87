"""A Rasa policy: the message after a question the bot asked is read as its answer, whatever its intent.

Customers type rather than press buttons. When an action asks a question it records what it asked
in the `question` slot (return_reason | order_choice | confirm; the offered orders in `choices`).
If the next message answers it (`bot.nlp.keywords.read_answer`: a reason, an ordinal or a product
name, a yes/no), this policy predicts `action_answer_question`, which continues exactly as the
matching button would. A message that does not answer the question (a request for a human, a new
scenario, a FAQ) is left to the rules, so a customer who changes the subject is still served.

The address question is the address form's (it reads any text), so an active form is left alone.
Nothing is learned: the policy persists nothing, and changing its code needs no retraining.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.clock import KST
from bot.nlp.keywords import read_answer

ANSWER_ACTION = "action_answer_question"
ADDRESS_FORM = "address_form"


def next_action(tracker: DialogueStateTracker, today=None) -> Optional[str]:
    """The action this policy insists on, or None to leave the turn to the other policies."""
    if tracker.active_loop_name:
        return None
    last = tracker.latest_action_name
    if last == ANSWER_ACTION:
        # An order chosen for an address change goes on to ask for the address, as after its button.
        return ADDRESS_FORM if tracker.get_slot("address_step") == "ask" else ACTION_LISTEN_NAME
    if last != ACTION_LISTEN_NAME or not tracker.latest_message:
        return None
    question = tracker.get_slot("question")
    if not question:
        return None
    text = tracker.latest_message.text or ""
    today = today or datetime.now(KST).date()
    if read_answer(question, text, tracker.get_slot("choices") or (), today) is None:
        return None
    return ANSWER_ACTION


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class PendingQuestionPolicy(Policy):
    """Routes the answer to a pending question to `action_answer_question` (see the module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Above RulePolicy (6): an answer beats the rule for whatever intent NLU gave the words.
        return {"priority": 7}

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = next_action(tracker)
        if action is not None and action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)
