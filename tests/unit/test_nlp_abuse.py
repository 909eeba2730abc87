"""Abuse and complaint-escalation words (bot.nlp.abuse): they reach a human."""
from __future__ import annotations

from bot.nlp.abuse import is_abusive


def test_is_abusive():
    assert is_abusive("ㅅㅂ 언제 와") and is_abusive("소비자보호원에 신고할게요")
    assert not is_abusive("고소한 맛 과자 재입고 되나요") and not is_abusive("주문 취소해 주세요")
