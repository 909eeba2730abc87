"""bot.rasa_channel: what Rasa answered to a message, read back from its tracker events."""
from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered, UserUtteranceReverted

from bot.rasa_channel import bot_events_after


def turn(message_id: str, *said: str) -> list:
    return [UserUttered("네", message_id=message_id), ActionExecuted("action_confirm_change"),
            *[BotUttered(text) for text in said], ActionExecuted("action_listen")]


def test_the_answer_to_a_message_is_what_the_bot_said_until_the_next_message():
    events = turn("m1", "취소할까요?") + turn("m2", "취소했어요.", "환불은 3일 안에 돼요.") + turn("m3", "또 도와드릴까요?")
    assert [e.text for e in bot_events_after(events, "m2")] == ["취소했어요.", "환불은 3일 안에 돼요."]
    assert [e.text for e in bot_events_after(events, "m3")] == ["또 도와드릴까요?"]


def test_a_message_not_there_or_undone_has_no_answer():
    events = turn("m1", "취소할까요?")
    assert bot_events_after(events, "m9") is None
    undone = turn("m1", "취소할까요?") + [UserUttered("네", message_id="m2"),
                                         ActionExecuted("action_confirm_change"), ActionExecuted("action_listen"),
                                         UserUtteranceReverted()]
    assert bot_events_after(undone, "m2") is None
    assert bot_events_after(undone + turn("m2", "취소했어요."), "m2")[0].text == "취소했어요."
