"""Rasa tokenizer that splits Korean text into Kiwi morpheme spans.

Config: `- name: bot.nlp.kiwi_tokenizer.KiwiTokenizer`

Each token's text is the original substring `text[start:end]`, so entity
annotations stay aligned. Morphemes that share characters (했 = 하 + 었) become one
token. Serials, hashtags and mentions (010-1234-5678, 20261115-000203, #1234)
are split into their letter/digit runs so annotations on either the whole
serial or one group align.
An order number written in groups (2026-1119-000288, 2026 1119 000288) is one
token, featurized like the plain 14 digits.
Tokens without any letter or digit (punctuation, emoji) are dropped; chat
abbreviations such as ㅇㅇ, ㄳ, ㅠㅠ contain letters and are kept.

English words customers mix in (「order cancel 부탁해요」) are glossed: a known word
is followed by extra tokens at the same offsets whose lemmas are the Korean
morphemes it means (cancel -> 취소), so the classifier sees the features it
learned from Korean. The table is `ENGLISH_GLOSSES`.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Tuple

from kiwipiepy import Kiwi

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.numbers import find_order_ids

# Same key as rasa.nlu.tokenizers.spacy_tokenizer.POS_TAG_KEY; the
# LexicalSyntacticFeaturizer reads its "pos"/"pos2" features from it.
POS_TAG_KEY = "pos"
MORPHEMES_KEY = "morphemes"

_ALNUM_RUN = re.compile(r"[^\W_]+")
# Kiwi tags whose spans are split into their letter/digit runs.
_SPLIT_TAGS = {"W_SERIAL", "W_HASHTAG", "W_MENTION"}

# Korean phrase -> the English words (any case) that mean it, with common
# misspellings and inflections; a plural "s" is also understood (orders, refunds).
ENGLISH_GLOSSES: Dict[Text, Text] = {
    "주문": "order oder ordr orde purchase",
    "취소": "cancel canceled cancelled canceling cancelling cancellation cancle cansel cancell cancl",
    "환불": "refund refunded refunding refnd refun reufnd refound",
    "반품": "return returned returning retrun retun",
    "교환": "exchange exchanged exchage exhange excange exchnage swap",
    "배송": "delivery deliver delivered delievery delivary delivey shipping ship shipped shipment shiping",
    "배송 조회": "tracking track tracked traking trackng trace",
    "송장": "invoice waybill",
    "회수": "pickup collect collection",
    "돈": "money",
    "번호": "number num",
    "상태": "status",
    "택배": "package parcel courier",
    "도착": "arrive arrived arrival eta",
    "배송지 주소": "address adress addres addr",
    "변경": "change changed modify",
    "판매자": "seller sellor saller vendor merchant",
    "상담원": "agent agnet counselor counsellor counseler counsler consultant operator representative staff",
    "사람": "human person",
    "고객센터": "cs",
    "봇": "bot chatbot robot",
    "인공지능": "ai",
    "재고": "stock inventory",
    "재입고": "restock restocked",
    "사이즈": "size",
    "색상": "color colour",
    "소재": "material fabric",
    "상품": "item product goods",
    "불량": "defect defective broken damaged",
    "결제": "payment pay paid",
    "영수증": "receipt",
    "할부": "installment instalment",
    "쿠폰": "coupon cupon",
    "포인트": "point",
    "적립금": "reward mileage",
    "배송비": "fee",
    "정책": "policy policies",
    "언제": "when",
    "어디": "where",
    "부탁": "please pls plz pleas plase",
    "네": "ok okay okey okie yes yep yeah yup sure",
    "아니요": "no nope nah",
    "안녕하세요": "hi hello hey",
    "감사": "thanks thank thx ty",
    "안녕히 계세요": "bye goodbye",
}
_GLOSS_BY_WORD: Dict[Text, Text] = {
    word: korean for korean, words in ENGLISH_GLOSSES.items() for word in words.split()
}

_kiwi: Optional[Kiwi] = None
_kiwi_lock = threading.Lock()


def get_kiwi() -> Kiwi:
    """Returns the process-wide Kiwi instance, built on first use and warmed: Kiwi loads more of
    its model on its first sentence."""
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                # Without the multi-word proper-noun dictionary: it is two thirds of Kiwi's start-up
                # (3.6 -> 1.2 s, with the GIL held) and changes one training example's morphemes
                # (「굿나잇」), not its token.
                kiwi = Kiwi(load_multi_dict=False)
                kiwi.tokenize("주문한 거 언제 와요?")
                _kiwi = kiwi
    return _kiwi


def _has_letter_or_digit(text: Text) -> bool:
    return any(char.isalnum() for char in text)


def morpheme_spans(text: Text) -> List[Tuple[int, int, List[Tuple[Text, Text]]]]:
    """Returns (start, end, [(form, tag), ...]) for each span of `text`.

    Kiwi morphemes whose character ranges overlap are merged into one span.
    """
    spans: List[Tuple[int, int, List[Tuple[Text, Text]]]] = []
    for morph in sorted(get_kiwi().tokenize(text), key=lambda m: m.start):
        start, end = morph.start, morph.start + morph.len
        if spans and start < spans[-1][1]:
            last_start, last_end, morphs = spans[-1]
            morphs.append((morph.form, morph.tag))
            spans[-1] = (last_start, max(last_end, end), morphs)
        else:
            spans.append((start, end, [(morph.form, morph.tag)]))
    return spans


def kiwi_tokens(text: Text) -> List[Token]:
    """Tokenizes `text` into Rasa tokens with offsets into `text`.

    Written-out order numbers become one token; known English words are followed
    by their Korean gloss tokens (see the module docstring).
    """
    tokens = _merge_order_ids(text, _morpheme_tokens(text))
    glossed: List[Token] = []
    for token in tokens:
        glossed.append(token)
        glossed.extend(gloss_tokens(token))
    return glossed


def _morpheme_tokens(text: Text) -> List[Token]:
    tokens: List[Token] = []
    for start, end, morphs in morpheme_spans(text):
        data = {
            POS_TAG_KEY: "+".join(tag for _, tag in morphs),
            MORPHEMES_KEY: "+".join(f"{form}/{tag}" for form, tag in morphs),
        }
        surface = text[start:end]
        if morphs[0][1] in _SPLIT_TAGS:
            pieces = [(m.start(), m.end()) for m in _ALNUM_RUN.finditer(surface)]
        else:
            pieces = [(0, len(surface))]
        for piece_start, piece_end in pieces:
            piece = surface[piece_start:piece_end]
            if _has_letter_or_digit(piece):
                tokens.append(Token(piece, start + piece_start, data=dict(data), lemma=number_shape(piece)))
    return tokens


def _merge_order_ids(text: Text, tokens: List[Token]) -> List[Token]:
    """Replaces the tokens of each order number written in groups by one token.

    「2026-1119-000288」 would otherwise be three digit runs (NUM4, NUM4, NUM) that the
    classifier never saw as an order number; as one token it is NUM14 like
    「20261119000288」. Left alone when a token crosses the number's edge.
    """
    for value, start, end in find_order_ids(text):
        inside = [t for t in tokens if start <= t.start and t.end <= end]
        crossing = [t for t in tokens if t.start < end and start < t.end and t not in inside]
        if len(inside) < 2 or crossing:
            continue
        merged = Token(
            text[start:end],
            start,
            data={POS_TAG_KEY: "SN", MORPHEMES_KEY: f"{value}/SN"},
            lemma=number_shape(value),
        )
        tokens = [t for t in tokens if t not in inside]
        tokens.append(merged)
        tokens.sort(key=lambda t: t.start)
    return tokens


@lru_cache(maxsize=None)
def _korean_tokens(korean: Text) -> Tuple[Tuple[Text, Dict[Text, Any]], ...]:
    """(lemma, data) of the Kiwi tokens of a Korean gloss phrase."""
    return tuple((t.lemma, dict(t.data)) for t in _morpheme_tokens(korean))


def english_gloss(word: Text) -> Optional[Text]:
    """The Korean phrase an English word means, or None (case-insensitive)."""
    word = word.lower()
    if not (word.isascii() and word.isalpha()):
        return None
    if word in _GLOSS_BY_WORD:
        return _GLOSS_BY_WORD[word]
    if len(word) > 3 and word.endswith("s"):
        return _GLOSS_BY_WORD.get(word[:-1])
    return None


def gloss_tokens(token: Token) -> List[Token]:
    """Extra tokens for a known English word: its text and offsets, Korean lemmas."""
    korean = english_gloss(token.text)
    if korean is None:
        return []
    return [
        Token(token.text, token.start, token.end, data=dict(data), lemma=lemma)
        for lemma, data in _korean_tokens(korean)
    ]


def number_shape(piece: Text) -> Optional[Text]:
    """The lemma of a digit run: its shape, not its digits (「NUM14」 for any order number).

    Featurizers read lemmas, so every order number looks alike to the classifier: the
    intent comes from the words around it, not from which digits a number happens to have.
    """
    if not piece.isdigit():
        return None
    return f"NUM{len(piece)}" if len(piece) in (4, 14) else "NUM"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class KiwiTokenizer(Tokenizer):
    """Korean morpheme tokenizer backed by Kiwi (kiwipiepy)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            # Flag to check whether to split intents
            "intent_tokenization_flag": False,
            # Symbol on which intent should be split
            "intent_split_symbol": "_",
            # Regular expression to detect tokens
            "token_pattern": None,
            # Symbol on which prefix should be split
            "prefix_separator_symbol": None,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        # Kiwi takes about a second to be ready: build it while the rest of the pipeline loads,
        # not when the first customer's message arrives.
        threading.Thread(target=get_kiwi, name="kiwi-load", daemon=True).start()

    @staticmethod
    def required_packages() -> List[Text]:
        """Packages needed to run this component."""
        return ["kiwipiepy"]

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Tokenizes the text of `attribute` into morpheme-span tokens."""
        text = message.get(attribute)
        tokens = kiwi_tokens(text)
        if not tokens:
            # Like WhitespaceTokenizer: a message without word tokens (emoji,
            # punctuation, empty) becomes one token so featurizers still work.
            stripped = text.strip()
            tokens = [Token(stripped, text.find(stripped))]
        return self._apply_token_pattern(tokens)
