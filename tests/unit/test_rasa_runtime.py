"""bot.rasa_runtime: Rasa's checks of action responses and its event classes, same results as
Rasa's own code, with the constant work done once."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate


@pytest.fixture
def patched(monkeypatch):
    from rasa.core.actions.action import RemoteAction
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import Event
    from rasa.utils.tensorflow.models import RasaModel

    from bot import rasa_runtime

    # Restored after the test (the patches are for the Rasa server's process).
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction.__dict__["_validate_action_result"])
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
    monkeypatch.setattr(RasaModel, "load", RasaModel.__dict__["load"])
    monkeypatch.setattr(SQLTrackerStore, "save", SQLTrackerStore.__dict__["save"])
    original = {"validate": RemoteAction._validate_action_result, "resolve": Event.resolve_by_type,
                "save": SQLTrackerStore.save}
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


PARSE = """
import asyncio, json, sys
from rasa.core.agent import Agent
if sys.argv[1] == "ours":
    from bot import rasa_runtime
    rasa_runtime.apply()
from tests.nlu.test_nlu import examples, TEST_FILE, MIXED_TEST_FILE
agent = Agent.load(sys.argv[2])
loop = asyncio.new_event_loop()
out = []
for f in (TEST_FILE, MIXED_TEST_FILE):
    for text, _, _ in examples(f):
        r = loop.run_until_complete(agent.parse_message(text))
        faq = r.get("response_selector", {}).get("faq", {}).get("response", {})
        out.append([text, r["intent"]["name"], round(r["intent"]["confidence"], 4),
                    faq.get("intent_response_key"), round(faq.get("confidence") or 0, 4)])
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.mark.stack
def test_a_model_loaded_without_tracing_a_training_step_predicts_as_rasa_loads_it():
    """Both TensorFlow models (DIET, ResponseSelector) of the trained model, loaded by Rasa's
    code and by ours in separate processes: the same intents, FAQ answers and confidences on
    every held-out utterance."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    model = root / "models" / "modu.tar.gz"
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train`")
    env = dict(os.environ, PYTHONPATH=str(root), TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")

    def parse(how):
        run = subprocess.run([sys.executable, "-c", PARSE, how, str(model)], cwd=root, env=env,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        return json.loads(run.stdout.strip().splitlines()[-1])

    rasa, ours = parse("rasa"), parse("ours")
    assert len(rasa) >= 380
    assert ours == rasa


def turns():
    """A conversation's events turn by turn, a new session in the middle (timestamps increasing,
    a session's events from its SessionStarted on)."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    clock = iter(range(1_700_000_000, 1_700_000_100))

    def t():
        return float(next(clock))

    def user(text, intent):
        return UserUttered(text, {"name": intent, "confidence": 0.99}, timestamp=t())

    return [
        [SessionStarted(timestamp=t()), ActionExecuted("action_listen", timestamp=t()),
         user("주문 취소해 주세요", "cancel_order")],
        [SlotSet("order_id", "20261118000342", timestamp=t()), ActionExecuted("utter_confirm", timestamp=t()),
         BotUttered("취소할까요?", timestamp=t()), ActionExecuted("action_listen", timestamp=t()), user("네", "affirm")],
        [SessionStarted(timestamp=t()), ActionExecuted("action_listen", timestamp=t()), user("배송비 얼마예요?", "faq")],
        [ActionExecuted("utter_faq", timestamp=t()), BotUttered("3만 원 이상 무료배송", timestamp=t()),
         ActionExecuted("action_listen", timestamp=t())],
    ]


def saved(save, db_path):
    """What one way of saving sends to the broker and stores, turn after turn (each turn on the
    tracker as Rasa retrieves it: the latest session), and how often it read the tracker back."""
    import asyncio

    import sqlalchemy
    from rasa.core.brokers.broker import EventBroker
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    class Recorder(EventBroker):
        def __init__(self):
            self.published = []

        def publish(self, event):
            self.published.append(event)

    class Store(SQLTrackerStore):
        reads = 0

        async def retrieve(self, sender_id):
            Store.reads += 1
            return await super().retrieve(sender_id)

    broker = Recorder()
    store = Store(Domain.empty(), dialect="sqlite", db=str(db_path), event_broker=broker)
    loop = asyncio.new_event_loop()
    published_per_turn, reads = [], 0
    for turn in turns():
        tracker = loop.run_until_complete(SQLTrackerStore.retrieve(store, "customer-1")) \
            or DialogueStateTracker("customer-1", [])
        for event in turn:
            tracker.update(event)
        before, Store.reads = len(broker.published), 0
        loop.run_until_complete(save(store, tracker))
        reads += Store.reads
        published_per_turn.append(broker.published[before:])
    loop.close()
    with sqlalchemy.create_engine(f"sqlite:///{db_path}").connect() as conn:
        rows = conn.execute(sqlalchemy.text(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id")).all()
    return published_per_turn, [tuple(r) for r in rows], reads


def test_a_turn_is_saved_and_streamed_as_rasa_does_without_reading_the_tracker_back(patched, tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore

    rasa_published, rasa_rows, rasa_reads = saved(patched["save"], tmp_path / "rasa.db")
    ours_published, ours_rows, ours_reads = saved(SQLTrackerStore.save, tmp_path / "ours.db")
    assert [len(p) for p in rasa_published] == [3, 5, 3, 3]
    assert ours_published == rasa_published
    assert ours_rows == rasa_rows and len(rasa_rows) == 14
    assert (rasa_reads, ours_reads) == (4, 0), "Rasa read the tracker back at every save; we do not"
