"""bot.analytics.csat: when the widget may ask for a rating, and what a rating must look like."""
from __future__ import annotations

from bot.analytics.csat import closing_texts, rating_error, survey_due
from bot.db import ROOT

CLOSINGS = closing_texts(ROOT / "domain.yml")


def test_the_closings_are_the_goodbye_and_thanks_of_the_domain():
    assert "이용해 주셔서 감사해요. 좋은 하루 보내세요!" in CLOSINGS
    assert "천만에요! 더 도와드릴 일이 있으면 말씀해 주세요." in CLOSINGS
    assert "더 도와드릴 일이 있을까요?" not in CLOSINGS


def test_asked_after_a_goodbye_or_a_finished_ticket_only():
    talk = [("customer", "배송 조회"), ("bot", "배송 중이에요."), ("bot", "더 도와드릴 일이 있을까요?")]
    assert not survey_due(talk, False, "bot", False, CLOSINGS)  # "anything else?" is not the end yet
    bye = talk + [("customer", "없어요 고마워요"), ("bot", "이용해 주셔서 감사해요. 좋은 하루 보내세요!")]
    assert survey_due(bye, False, "bot", False, CLOSINGS)
    assert not survey_due(bye, False, "bot", True, CLOSINGS), "once per conversation"
    assert not survey_due(bye + [("customer", "아 하나 더요")], False, "bot", False, CLOSINGS), "mid-task"
    handed_back = [("customer", "상담원"), ("agent", "처리했어요"), ("bot", "상담이 종료되었어요. 더 도와드릴 일이 있을까요?")]
    assert survey_due(handed_back, True, "bot", False, CLOSINGS)
    assert not survey_due(handed_back, True, "agent", False, CLOSINGS), "a person still has it"
    assert not survey_due([("bot", "이용해 주셔서 감사해요. 좋은 하루 보내세요!")], False, "bot", False, CLOSINGS)


def test_rating_errors():
    assert rating_error(5, None) is None and rating_error(1, "빨랐어요") is None
    assert rating_error(0, None) == rating_error(6, None) == rating_error("5", None) == rating_error(True, None) \
        == "별점은 1~5 사이의 정수로 선택해 주세요."
    assert rating_error(4, "가" * 501) == "의견은 500자 이내로 입력해 주세요."
