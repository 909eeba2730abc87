"""bot.rasa_runtime: Rasa's checks of action responses and its event classes, same results as
Rasa's own code, with the constant work done once."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate


@pytest.fixture
def patched(monkeypatch):
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    from bot import rasa_runtime

    # Restored after the test (the patches are for the Rasa server's process).
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction.__dict__["_validate_action_result"])
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
    original = {"validate": RemoteAction._validate_action_result, "resolve": Event.resolve_by_type}
    rasa_runtime.apply()
    return original


RESPONSES = [
    {"events": [{"event": "slot", "name": "order_id", "value": "20261118000342"}],
     "responses": [{"response": "utter_ask_order_id"}]},
    {"events": [], "responses": []},
    {"events": [{"event": "bot", "text": "안녕하세요", "data": {"buttons": [{"title": "네", "payload": "/affirm"}]}}]},
    {"events": [{"event": "not_an_event"}]},
    {"events": [{"event": "slot"}]},  # no slot name
    {"events": "everything"},
    {"responses": [1, 2]},
]


@pytest.mark.parametrize("result", RESPONSES)
def test_action_responses_pass_and_fail_as_with_rasas_own_check(patched, result):
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_check_order_status", None)
    try:
        validate(result, RemoteAction.action_response_format_spec())
        expected = None
    except ValidationError as error:
        expected = error.message
    if expected is None:
        assert action._validate_action_result(result) is True
        assert patched["validate"](action, result) is True
    else:
        with pytest.raises(ValidationError) as ours:
            action._validate_action_result(result)
        with pytest.raises(ValidationError) as theirs:
            patched["validate"](action, result)
        assert ours.value.message == theirs.value.message
        assert ours.value.message.startswith(expected + ". Failed to validate Action server response")


def test_every_event_name_finds_the_same_class(patched):
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
    from rasa.shared.utils.common import all_subclasses

    for cls in all_subclasses(Event):
        if getattr(cls, "type_name", None):
            assert Event.resolve_by_type(cls.type_name) is patched["resolve"](cls.type_name)
            assert Event.resolve_by_type(cls.type_name) is patched["resolve"](cls.type_name)  # remembered
    assert (Event.resolve_by_type("user"), Event.resolve_by_type("slot"), Event.resolve_by_type("action")) == \
        (UserUttered, SlotSet, ActionExecuted)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("nothing", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'nothing'"):
        Event.resolve_by_type("nothing")
    assert Event.from_parameters({"event": "slot", "name": "order_id", "value": "1"}) == SlotSet("order_id", "1")
