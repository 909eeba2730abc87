"""The Rasa components end to end: KiwiTokenizer then KoreanNumberEntityExtractor (bot.nlp.entities)."""
from __future__ import annotations

from pathlib import Path
from typing import Tuple

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.recipe import Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.validation import validate
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.data import TrainingType
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.entities import KoreanNumberEntityExtractor
from bot.nlp.kiwi_tokenizer import KiwiTokenizer


@pytest.fixture
def components(tmp_path: Path) -> Tuple[KiwiTokenizer, KoreanNumberEntityExtractor]:
    storage = LocalModelStorage.create(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = KiwiTokenizer.create(
        KiwiTokenizer.get_default_config(), storage, Resource("tokenizer"), context
    )
    extractor = KoreanNumberEntityExtractor.create(
        KoreanNumberEntityExtractor.get_default_config(),
        storage,
        Resource("extractor"),
        context,
    )
    return tokenizer, extractor


def test_components_process_a_rasa_message(
    components: Tuple[KiwiTokenizer, KoreanNumberEntityExtractor]
) -> None:
    tokenizer, extractor = components
    text = "주문번호 20261115000203이요 폰 뒷자리는 0427이에요"
    message = Message(data={TEXT: text})

    extractor.process(tokenizer.process([message]))

    entities = message.get(ENTITIES)
    assert entities == [
        {
            "entity": "order_id",
            "start": 5,
            "end": 19,
            "value": "20261115000203",
            "confidence_entity": 1.0,
            "extractor": "KoreanNumberEntityExtractor",
        },
        {
            "entity": "phone_last4",
            "start": 29,
            "end": 33,
            "value": "0427",
            "confidence_entity": 1.0,
            "extractor": "KoreanNumberEntityExtractor",
        },
    ]
    tokens = message.get(TOKENS_NAMES[TEXT])
    for entity in entities:
        assert entity["start"] in [t.start for t in tokens]
        assert entity["end"] in [t.end for t in tokens]
    assert ENTITIES in message.as_dict(only_output_properties=True)


def test_extractor_keeps_entities_from_earlier_components(
    components: Tuple[KiwiTokenizer, KoreanNumberEntityExtractor]
) -> None:
    _, extractor = components
    earlier = {"entity": "product", "start": 0, "end": 2, "value": "신발"}
    message = Message(data={TEXT: "신발 1234", ENTITIES: [earlier]})

    extractor.process([message])

    assert [e["entity"] for e in message.get(ENTITIES)] == ["product", "phone_last4"]


@pytest.mark.parametrize("text", ["", "😀", "ㅇㅇ"])
def test_components_handle_messages_without_numbers(
    components: Tuple[KiwiTokenizer, KoreanNumberEntityExtractor], text: str
) -> None:
    tokenizer, extractor = components
    [message] = extractor.process(tokenizer.process([Message(data={TEXT: text})]))

    assert message.get(ENTITIES) == []


def test_components_are_valid_in_a_rasa_config() -> None:
    config = {
        "recipe": "default.v1",
        "language": "ko",
        "pipeline": [
            {"name": "bot.nlp.kiwi_tokenizer.KiwiTokenizer"},
            {"name": "bot.nlp.entities.KoreanNumberEntityExtractor"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "max_ngram": 4},
            {"name": "DIETClassifier", "epochs": 1, "entity_recognition": False},
        ],
        "policies": [],
    }

    model_config = Recipe.recipe_for_name("default.v1").graph_config_for_recipe(
        config, {}, training_type=TrainingType.NLU
    )

    validate(model_config)  # raises GraphSchemaValidationException when invalid
    assert "run_bot.nlp.entities.KoreanNumberEntityExtractor1" in (
        model_config.predict_schema.nodes
    )
