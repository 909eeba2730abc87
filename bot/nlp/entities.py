"""Rasa component that extracts `order_id` and `phone_last4` entities.

Config: `- name: bot.nlp.entities.KoreanNumberEntityExtractor`

The extraction rules are plain functions in `bot.nlp.numbers` (re-exported here:
`find_order_ids`, `find_phone_last4`, `normalize_order_id`), reusable on raw text.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.numbers import (
    ORDER_ID,
    PHONE_LAST4,
    find_order_ids,
    find_phone_last4,
    normalize_order_id,
)

__all__ = [
    "KoreanNumberEntityExtractor",
    "find_number_entities",
    "find_order_ids",
    "find_phone_last4",
    "normalize_order_id",
]


def find_number_entities(text: Text) -> List[Dict[Text, Any]]:
    """Returns Rasa entity dicts for order ids and phone last-4 digits in `text`."""
    entities = []
    for entity_type, finder in ((ORDER_ID, find_order_ids), (PHONE_LAST4, find_phone_last4)):
        for value, start, end in finder(text):
            entities.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: entity_type,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                    ENTITY_ATTRIBUTE_VALUE: value,
                    ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: 1.0,
                }
            )
    return sorted(entities, key=lambda entity: entity[ENTITY_ATTRIBUTE_START])


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class KoreanNumberEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `order_id` and `phone_last4` entities found by regular expressions."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config (no options)."""
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KoreanNumberEntityExtractor:
        """Creates the component (see parent class for full docstring)."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Appends the found entities to each message's entities."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            entities = self.add_extractor_name(find_number_entities(text))
            message.set(
                ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True
            )
        return messages
