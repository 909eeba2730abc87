"""Rasa tokenizer that splits Korean text into Kiwi morpheme spans.

Config: `- name: bot.nlp.kiwi_tokenizer.KiwiTokenizer`

Each token's text is the original substring `text[start:end]`, so entity
annotations stay aligned. Morphemes that share characters (했 = 하 + 었) become one
token. Serials, hashtags and mentions (010-1234-5678, 20261115-000203, #1234)
are split into their letter/digit runs so annotations on either the whole
serial or one group align.
Tokens without any letter or digit (punctuation, emoji) are dropped; chat
abbreviations such as ㅇㅇ, ㄳ, ㅠㅠ contain letters and are kept.
"""
from __future__ import annotations

import re
import threading
from typing import Any, Dict, List, Optional, Text, Tuple

from kiwipiepy import Kiwi

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

# Same key as rasa.nlu.tokenizers.spacy_tokenizer.POS_TAG_KEY; the
# LexicalSyntacticFeaturizer reads its "pos"/"pos2" features from it.
POS_TAG_KEY = "pos"
MORPHEMES_KEY = "morphemes"

_ALNUM_RUN = re.compile(r"[^\W_]+")
# Kiwi tags whose spans are split into their letter/digit runs.
_SPLIT_TAGS = {"W_SERIAL", "W_HASHTAG", "W_MENTION"}

_kiwi: Optional[Kiwi] = None
_kiwi_lock = threading.Lock()


def get_kiwi() -> Kiwi:
    """Returns the process-wide Kiwi instance (built on first use: ~1-3 s)."""
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                _kiwi = Kiwi()
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
    """Tokenizes `text` into Rasa tokens with offsets into `text`."""
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
