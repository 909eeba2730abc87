"""KiwiTokenizer with the real Kiwi model: offsets, glued particles, chat jamo."""
from __future__ import annotations

import warnings
from typing import Any, Dict, List

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.kiwi_tokenizer import KiwiTokenizer, get_kiwi

CHAT_SENTENCES = [
    "주문했는데요 언제 와요?",
    "20261115000203이요",
    "주문번호는20261115000203입니다",
    "주문번호 20261115-000203 입니다",
    "배송조회좀 해주세요ㅠㅠ",
    "ㅇㅇ 맞아요",
    "ㄴㄴ 그거 말고요",
    "ㄳㄳ~~",
    "ㅋㅋㅋ 감사합니당",
    "환불 되나여??",
    "취소해주세용",
    "010-1234-5678로 연락주세요!",
    "뒷자리 5678이에요",
    "12,000원 결제했는데 2.5kg 맞나요",
    "😀😀 안녕하세요 😀",
    "   앞뒤   공백   많은   문장   ",
    "줄바꿈\n있는\t문장이에요",
    "abc@gmail.com으로 영수증 보내주세요",
    "https://shop.example.com/orders 링크가 안 열려요",
    "ＡＢＣ 전각 문자랑 １２３４ 숫자",
]


@pytest.fixture(scope="module")
def tokenizer() -> KiwiTokenizer:
    return KiwiTokenizer(KiwiTokenizer.get_default_config())


def tokenize(tokenizer: KiwiTokenizer, text: str) -> List[str]:
    return [token.text for token in tokenizer.tokenize(Message(data={TEXT: text}), TEXT)]


@pytest.mark.parametrize("text", CHAT_SENTENCES)
def test_token_offsets_point_into_the_original_text(
    tokenizer: KiwiTokenizer, text: str
) -> None:
    tokens = tokenizer.tokenize(Message(data={TEXT: text}), TEXT)

    assert tokens
    for token in tokens:
        assert text[token.start : token.end] == token.text
    for previous, current in zip(tokens, tokens[1:]):
        assert previous.end <= current.start


def test_particle_glued_to_an_order_number_becomes_its_own_token(
    tokenizer: KiwiTokenizer,
) -> None:
    assert tokenize(tokenizer, "20261115000203이요") == ["20261115000203", "이요"]
    assert tokenize(tokenizer, "1234요") == ["1234", "요"]


def test_morphemes_sharing_a_syllable_are_one_surface_token(
    tokenizer: KiwiTokenizer,
) -> None:
    # 했 is 하 + 었 in Kiwi: both morphemes cover the same character.
    tokens = tokenizer.tokenize(Message(data={TEXT: "주문했는데요"}), TEXT)

    assert [t.text for t in tokens][:2] == ["주문", "했"]
    assert tokens[1].get("pos") == "XSV+EP"
    assert tokens[1].get("morphemes") == "하/XSV+었/EP"
    assert tokens[1].lemma == "했"


def test_chat_jamo_abbreviations_survive(tokenizer: KiwiTokenizer) -> None:
    assert tokenize(tokenizer, "ㅇㅇ ㄴㄴ ㄳ ㅠㅠ ㅋㅋㅋ") == ["ㅇㅇ", "ㄴㄴ", "ㄳ", "ㅠㅠ", "ㅋㅋㅋ"]


def test_punctuation_and_emoji_are_dropped(tokenizer: KiwiTokenizer) -> None:
    assert tokenize(tokenizer, "환불 되나요?? 😀!! ~~") == ["환불", "되", "나요"]


def test_serials_are_split_into_their_digit_groups(tokenizer: KiwiTokenizer) -> None:
    assert tokenize(tokenizer, "010-1234-5678로") == ["010", "1234", "5678", "로"]
    assert tokenize(tokenizer, "1234-5678-9012") == ["1234", "5678", "9012"]
    assert tokenize(tokenizer, "#20261115000203") == ["20261115000203"]


@pytest.mark.parametrize(
    "text, number",
    [
        ("20261115-000203", "20261115-000203"),
        ("2026-1119-000288 배송조회요", "2026-1119-000288"),
        ("2026 1119 000288 배송조회요", "2026 1119 000288"),
        ("주문번호 2026.11.19-000288이요", "2026.11.19-000288"),
        ("2026-11-19-000288 취소", "2026-11-19-000288"),
    ],
)
def test_an_order_number_written_in_groups_is_one_token_shaped_like_fourteen_digits(
    tokenizer: KiwiTokenizer, text: str, number: str
) -> None:
    tokens = tokenizer.tokenize(Message(data={TEXT: text}), TEXT)
    [token] = [t for t in tokens if t.text[0].isdigit()]

    assert (token.text, token.lemma, token.get("pos")) == (number, "NUM14", "SN")
    assert text[token.start : token.end] == number


def test_phone_numbers_and_dates_are_not_merged_like_order_numbers(
    tokenizer: KiwiTokenizer,
) -> None:
    assert [t.lemma for t in tokenizer.tokenize(Message(data={TEXT: "010-1234-5678"}), TEXT)] == [
        "NUM", "NUM4", "NUM4"
    ]
    assert tokenize(tokenizer, "2026-11-15 주문") == ["2026", "11", "15", "주문"]


def glosses(tokenizer: KiwiTokenizer, text: str) -> List[tuple]:
    return [(t.text, t.lemma) for t in tokenizer.tokenize(Message(data={TEXT: text}), TEXT)]


def test_english_words_are_followed_by_their_korean_gloss(tokenizer: KiwiTokenizer) -> None:
    assert glosses(tokenizer, "order cancel 부탁해요") == [
        ("order", "order"),
        ("order", "주문"),
        ("cancel", "cancel"),
        ("cancel", "취소"),
        ("부탁", "부탁"),
        ("해요", "해요"),
    ]
    assert glosses(tokenizer, "tracking number 알려주세요")[:5] == [
        ("tracking", "tracking"),
        ("tracking", "배송"),
        ("tracking", "조회"),
        ("number", "number"),
        ("number", "번호"),
    ]


@pytest.mark.parametrize(
    "word, korean",
    [
        ("REFUND", ["환불"]),
        ("Refunds", ["환불"]),
        ("cancle", ["취소"]),
        ("cancelled", ["취소"]),
        ("retrun", ["반품"]),
        ("exchnage", ["교환"]),
        ("delievery", ["배송"]),
        ("shipping", ["배송"]),
        ("adress", ["배송지", "주소"]),
        ("orders", ["주문"]),
        ("seller", ["판매자"]),
        ("agent", ["상담원"]),
        ("counselor", ["상담원"]),
        ("pls", ["부탁"]),
        ("OK", ["네"]),
        ("yes", ["네"]),
        ("no", ["아니요"]),
        ("thx", ["감사"]),
        ("pickup", ["회수"]),
    ],
)
def test_gloss_covers_case_plurals_and_common_misspellings(
    tokenizer: KiwiTokenizer, word: str, korean: List[str]
) -> None:
    tokens = tokenizer.tokenize(Message(data={TEXT: word}), TEXT)

    assert [t.lemma for t in tokens] == [word] + korean
    assert {(t.text, t.start, t.end) for t in tokens} == {(word, 0, len(word))}


@pytest.mark.parametrize("text", ["iphone 케이스", "abc", "is", "https://shop.example.com/orders 링크", "ＯＫ"])
def test_unknown_words_urls_and_full_width_letters_get_no_gloss(
    tokenizer: KiwiTokenizer, text: str
) -> None:
    tokens = tokenizer.tokenize(Message(data={TEXT: text}), TEXT)

    assert [t.lemma for t in tokens] == [t.text for t in tokens]


def test_gloss_tokens_carry_the_korean_part_of_speech(tokenizer: KiwiTokenizer) -> None:
    tokens = tokenizer.tokenize(Message(data={TEXT: "refund 해주세요"}), TEXT)

    assert [(t.lemma, t.get("pos")) for t in tokens[:2]] == [("refund", "SL"), ("환불", "NNG")]


def test_emoji_only_message_becomes_one_token(tokenizer: KiwiTokenizer) -> None:
    tokens = tokenizer.tokenize(Message(data={TEXT: " 😀👍 "}), TEXT)

    assert [(t.text, t.start, t.end) for t in tokens] == [("😀👍", 1, 3)]


@pytest.mark.parametrize("text", ["", "   ", "??!", "😀"])
def test_messages_without_words_still_get_one_token(
    tokenizer: KiwiTokenizer, text: str
) -> None:
    [message] = tokenizer.process([Message(data={TEXT: text})])

    assert len(message.get(TOKENS_NAMES[TEXT])) == 1


def test_token_pattern_option_splits_tokens_further() -> None:
    config = {**KiwiTokenizer.get_default_config(), "token_pattern": r"(?u)\b\w+\b"}
    tokens = KiwiTokenizer(config).tokenize(Message(data={TEXT: "12,000원"}), TEXT)

    assert [(t.text, t.start) for t in tokens] == [("12", 0), ("000", 3), ("원", 6)]


def test_intent_names_are_split_when_configured() -> None:
    config = {**KiwiTokenizer.get_default_config(), "intent_tokenization_flag": True}
    message = Message(data={TEXT: "배송 조회", INTENT: "order_status"})

    KiwiTokenizer(config).process_training_data(TrainingData([message]))

    assert [t.text for t in message.get(TOKENS_NAMES[INTENT])] == ["order", "status"]


def test_entity_annotations_align_with_tokens(tokenizer: KiwiTokenizer) -> None:
    nlu_yaml = """
version: "3.1"
nlu:
- intent: inform
  examples: |
    - [20261115000203](order_id)이요
    - 주문번호는[20261118000342](order_id)입니다
    - 주문번호 [20261115-000203](order_id) 입니다
    - [2026-1119-000288](order_id) 배송조회요
    - 주문번호 [2026 1119 000288](order_id) order cancel 부탁해요
    - 뒷자리 [5678](phone_last4)이에요
    - 010-1234-[5678](phone_last4)로 주문했어요
"""
    training_data = RasaYAMLReader().reads(nlu_yaml)
    tokenizer.process_training_data(training_data)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EntityExtractorMixin.check_correct_entity_annotations(training_data)


def test_create_uses_one_kiwi_per_process(tmp_path: Any) -> None:
    config: Dict[str, Any] = KiwiTokenizer.get_default_config()
    first = KiwiTokenizer.create(
        config,
        LocalModelStorage.create(tmp_path),
        Resource("tokenizer"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    first.process([Message(data={TEXT: "안녕하세요"})])

    assert get_kiwi() is get_kiwi()


def test_digit_runs_are_featurized_by_their_shape_not_their_digits():
    from bot.nlp.kiwi_tokenizer import kiwi_tokens

    tokens = {t.text: t.lemma for t in kiwi_tokens("20261112000731번 주문 뒷자리 1234 2개요")}
    assert tokens["20261112000731"] == "NUM14" and tokens["1234"] == "NUM4" and tokens["2"] == "NUM"
    assert tokens["주문"] == "주문"
