"""bot.rasa_runtime: Rasa's checks of action responses, its event classes, its tracker store's
saves and reads, same results as Rasa's own code, with the constant work done once."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate, validators

from bot import rasa_runtime


@pytest.fixture
def patched(monkeypatch):
    from rasa.core.actions.action import RemoteAction
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import Event
    from rasa.utils.tensorflow.models import RasaModel

    # Restored after the test (the patches are for the Rasa server's process).
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction.__dict__["_validate_action_result"])
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
    monkeypatch.setattr(RasaModel, "load", RasaModel.__dict__["load"])
    monkeypatch.setattr(SQLTrackerStore, "save", SQLTrackerStore.__dict__["save"])
    monkeypatch.setattr(SQLTrackerStore, "retrieve", SQLTrackerStore.__dict__["retrieve"])
    import rasa.core.tracker_store as tracker_store
    monkeypatch.setattr(tracker_store, "create_engine_kwargs", tracker_store.create_engine_kwargs)
    original = {"validate": RemoteAction._validate_action_result, "resolve": Event.resolve_by_type,
                "save": SQLTrackerStore.save, "retrieve": SQLTrackerStore.retrieve}
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
    # Shapes the quick check (one alternative per event name) must not pass on its own:
    {"events": [{"name": "order_id", "value": "1"}]},  # no event name
    {"events": [{"event": 5}]},
    {"events": ["slot"]},
    {"events": [{"event": "slot", "name": 7, "value": "1"}]},  # a slot name that is not a string
    {"events": [{"event": "slot", "name": "order_id", "value": "1"}, {"event": "active_loop", "name": 3}]},
    {"events": [{"event": "slot", "name": "order_id", "value": "1", "timestamp": "yesterday"}]},
    {"events": [{"event": "user", "text": "네", "parse_data": {"intent": {"name": "affirm", "confidence": "high"}}}]},
    {"events": [{"event": "user", "text": "네", "parse_data": {"intent": {"name": "affirm", "confidence": 0.9},
                                                               "entities": [], "intent_ranking": []}},
                {"event": "action", "name": "action_listen"}, {"event": "followup", "name": "utter_greet"}]},
    {"events": [{"event": "slot", "name": "order_id", "value": "1"}], "responses": "none"},
    {"events": None, "responses": [{"text": "네"}]},
    [],
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
        schema = RemoteAction.action_response_format_spec()  # and it took the quick way
        assert rasa_runtime.quick_check(schema, validators.validator_for(schema))(result) is True
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
if sys.argv[1] != "rasa":
    from bot import rasa_runtime
    rasa_runtime.apply(serving=sys.argv[1] == "serving")
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


def with_model(script: str, how: str):
    """What `script` prints last (JSON), run in a fresh process on the trained model: `how` is
    "rasa" (Rasa's own code), "ours" or "serving" (bot.rasa_runtime applied)."""
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
    run = subprocess.run([sys.executable, "-c", script, how, str(model)], cwd=root, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.stack
def test_a_model_loaded_without_tracing_a_training_step_predicts_as_rasa_loads_it():
    """Both TensorFlow models (DIET, ResponseSelector) of the trained model, loaded by Rasa's
    code and by ours in separate processes: the same intents, FAQ answers and confidences on
    every held-out utterance. The server's way (the selector only for `faq` messages): the same
    intents, and the same FAQ answers where they are read."""
    rasa, ours, serving = with_model(PARSE, "rasa"), with_model(PARSE, "ours"), with_model(PARSE, "serving")
    assert len(rasa) >= 380
    assert ours == rasa
    # Serving: the FAQ answer only for a message DIET finds `faq` (the fallback may then take it
    # over, below the threshold); the same intents, and the same answer wherever the intent is `faq`.
    assert [row[:3] for row in serving] == [row[:3] for row in rasa]
    for got, want in zip(serving, rasa):
        assert got[3:] == want[3:] if want[1] == "faq" else got[3:] in (want[3:], [None, 0])
    skipped = sum(got[3] is None for got in serving)
    assert sum(want[1] == "faq" for want in rasa) >= 50 and skipped >= 250


TURNS = """
import asyncio, json, logging, sys
logging.disable(logging.CRITICAL)  # the custom actions fail here (no action server): both ways alike
from rasa.core.agent import Agent
if sys.argv[1] != "rasa":
    from bot import rasa_runtime
    rasa_runtime.apply(serving=True)
agent = Agent.load(sys.argv[2])
loop = asyncio.new_event_loop()
conversations = [
    ["안녕하세요", "배송비 얼마예요?", "고마워요", "안녕히 계세요"],
    ["주문 취소해 주세요", "네", "환불은 언제 돼요?", "상담원 연결해 주세요"],
    ["내 주문 언제 와요?", "20261129000379", "ㅇㅋ", "쿠폰 어떻게 써요?", "아 그리고 교환하고 싶어요"],
    ["asdf", "그거 말고 저번에 그거요", "/affirm", "환불하고 싶어요", "아니요"],
    ["음...", "주문 말고 그거", "배송 취소 환불 교환", "hmm"],  # below the fallback's thresholds
]
out = []
for i, texts in enumerate(conversations):
    for text in texts:
        loop.run_until_complete(agent.handle_text(text, sender_id=f"c{i}"))
    tracker = loop.run_until_complete(agent.tracker_store.retrieve(f"c{i}"))
    out.append([[e["event"], e.get("name") or (e.get("parse_data") or {}).get("intent", {}).get("name"),
                 e.get("policy"), round(e.get("confidence") or 0, 4)]
                for e in (event.as_dict() for event in tracker.events) if e["event"] in ("user", "action")])
from rasa.engine.runner.dask import DaskGraphRunner
print(json.dumps({"in_order": getattr(DaskGraphRunner.run, "in_order", False), "events": out}, ensure_ascii=False))
"""


@pytest.mark.stack
def test_the_server_predicts_the_same_actions_as_rasa():
    """Conversations through the trained model (no action server: the custom actions fail alike),
    Rasa's own graph runner against the server's (bot.rasa_runtime.apply(serving=True)), in
    separate processes: the same intents, actions, policies and confidences, event for event."""
    theirs, served = with_model(TURNS, "rasa"), with_model(TURNS, "serving")
    assert (theirs["in_order"], served["in_order"]) == (False, True)
    rasa, ours = theirs["events"], served["events"]
    assert ours == rasa
    assert min(len(c) for c in rasa) >= 8
    assert {e[1] for c in rasa for e in c} >= {"greet", "faq", "utter_faq", "cancel_order", "nlu_fallback",
                                               "action_listen"}


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


def keeping_store(db_path, domain=None):
    """A SQL tracker store (with bot.rasa_runtime applied) that counts its reads of the table."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    import sqlalchemy

    store = SQLTrackerStore(domain or Domain.empty(), dialect="sqlite", db=str(db_path))
    store.reads = 0
    store.connections, store.counts = 0, 0

    def connected(*args):
        store.connections += 1

    def executed(conn, cursor, statement, *args):
        store.counts += "count(" in statement.lower()

    sqlalchemy.event.listen(store.engine, "connect", connected)
    sqlalchemy.event.listen(store.engine, "before_cursor_execute", executed)
    read = store._retrieve

    async def counted(*args, **kwargs):
        store.reads += 1
        return await read(*args, **kwargs)

    store._retrieve = counted
    return store


def play(store, loop, retrieve=None, save=None, conversation=None, sender="customer-1"):
    """Turns as Rasa's processor plays them (retrieve, update, save); each turn's state, and the
    rows stored at the end."""
    import sqlalchemy

    retrieve = retrieve or type(store).retrieve
    save = save or type(store).save
    states = []
    for turn in conversation or turns():
        tracker = loop.run_until_complete(retrieve(store, sender)) or store.init_tracker(sender)
        for event in turn:
            tracker.update(event)
        loop.run_until_complete(save(store, tracker))
        states.append(tracker.current_state())
    with store.engine.connect() as conn:
        rows = conn.execute(sqlalchemy.text(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id")).all()
    return states, [tuple(r) for r in rows]


def more(t0=1_700_000_500.0, text="환불 언제 들어와요?"):
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    return [UserUttered(text, {"name": "refund_status", "confidence": 0.9}, timestamp=t0),
            ActionExecuted("action_refund_status", timestamp=t0 + 1), BotUttered("어떤 주문인가요?", timestamp=t0 + 2),
            ActionExecuted("action_listen", timestamp=t0 + 3)]


def new_session(t0):
    """A session as Rasa starts it: `action_session_start` is logged before its SessionStarted
    (earlier timestamp), so Rasa's read of the new session leaves it out."""
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered

    return [ActionExecuted("action_session_start", timestamp=t0), SessionStarted(timestamp=t0 + 1),
            ActionExecuted("action_listen", timestamp=t0 + 2),
            UserUttered("안녕하세요", {"name": "greet", "confidence": 0.99}, timestamp=t0 + 3)]


def test_the_next_turn_gets_the_tracker_the_last_turn_saved_without_reading_the_table(patched, tmp_path):
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore

    conversation = [*turns(), more(), more(1_700_000_600.0, "고마워요"), new_session(1_700_001_000.0),
                    more(1_700_001_100.0, "배송 언제 와요?"), more(1_700_001_200.0, "ㅇㅋ")]
    loop = asyncio.new_event_loop()
    ours = keeping_store(tmp_path / "ours.db")
    states, rows = play(ours, loop, conversation=conversation)
    # Read from the table: turn 1 (nothing there), and the turns after 3 and 7, which started a new
    # session in the conversation (not kept; the conversation's first session is). The other 6
    # of 9 got the tracker the turn before kept, and their saves counted no stored events. The
    # connection the store opened when it created its table served every turn (a pool;
    # SQLAlchemy 1.4 would open one per session).
    assert ours.reads == 3
    assert ours.counts == 9 - 6
    assert ours.connections == 0

    rasa = SQLTrackerStore(ours.domain, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    rasa_states, rasa_rows = play(rasa, loop, patched["retrieve"], patched["save"], conversation)
    assert states == rasa_states
    assert rows == rasa_rows and len(rows) == 14 + 4 * 4 + 4

    # The kept tracker is what Rasa reads back from the table, event for event.
    kept = loop.run_until_complete(ours.retrieve("customer-1"))
    assert ours.reads == 3
    from_table = loop.run_until_complete(patched["retrieve"](rasa, "customer-1"))
    assert kept.current_state() == from_table.current_state()
    assert [e.as_dict() for e in kept.events] == [e.as_dict() for e in from_table.events]
    loop.close()


def test_a_tracker_changed_elsewhere_is_read_from_the_table(patched, tmp_path):
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet

    from bot.rasa_runtime import read_tracker

    loop = asyncio.new_event_loop()
    db = tmp_path / "shared.db"
    a, b = keeping_store(db), keeping_store(db)  # two Rasa instances on one table
    play(a, loop)
    reads = a.reads

    # Our channel's retry check looks without taking: the turn after it still gets the kept one.
    # On an instance that keeps nothing yet, it reads the table and keeps that for the turn.
    c = keeping_store(db)
    looked = loop.run_until_complete(read_tracker(c, "customer-1"))
    assert c.reads == 1 and loop.run_until_complete(c.retrieve("customer-1")) is looked and c.reads == 1
    loop.run_until_complete(c.save(looked))
    assert c.counts == 0
    assert loop.run_until_complete(read_tracker(a, "customer-1")) is not None and a.reads == reads
    tracker = loop.run_until_complete(a.retrieve("customer-1"))
    assert a.reads == reads
    for event in more():
        tracker.update(event)
    loop.run_until_complete(a.save(tracker))

    # Instance B takes a turn of the same conversation: A's kept tracker is out of date.
    tracker = loop.run_until_complete(b.retrieve("customer-1"))
    for event in more(1_700_000_600.0, "b 에서 보낸 메시지"):
        tracker.update(event)
    loop.run_until_complete(b.save(tracker))
    again = loop.run_until_complete(a.retrieve("customer-1"))
    assert a.reads == reads + 1
    assert again.latest_message.text == "b 에서 보낸 메시지"

    # A turn that changed the tracker and failed before saving leaves nothing behind.
    again.update(SlotSet("order_id", "20261118000342", timestamp=1_700_000_700.0))
    fresh = loop.run_until_complete(a.retrieve("customer-1"))
    assert fresh is not again and fresh.get_slot("order_id") is None

    # A tracker changed after it was saved (and kept) is not handed over.
    for event in more(1_700_000_800.0, "또 질문"):
        fresh.update(event)
    loop.run_until_complete(a.save(fresh))
    fresh.update(SlotSet("order_id", "20261118000342", timestamp=1_700_000_900.0))
    reads = a.reads
    assert loop.run_until_complete(a.retrieve("customer-1")).get_slot("order_id") is None
    assert a.reads == reads + 1

    # A new model (another domain) reads the table.
    tracker = loop.run_until_complete(a.retrieve("customer-1"))
    loop.run_until_complete(a.save(tracker))
    a.domain = Domain.from_dict({"slots": {"order_id": {"type": "any", "mappings": [{"type": "custom"}]}}})
    reads = a.reads
    loop.run_until_complete(a.retrieve("customer-1"))
    assert a.reads == reads + 1
    loop.close()


def test_kept_trackers_are_bounded_in_number_and_idle_time(patched, tmp_path, monkeypatch):
    import asyncio

    monkeypatch.setattr(rasa_runtime, "KEPT_TRACKERS", 3)
    loop = asyncio.new_event_loop()
    store = keeping_store(tmp_path / "ours.db")
    for i in range(5):
        play(store, loop, conversation=turns()[:2], sender=f"customer-{i}")
    assert list(store._kept_trackers) == ["customer-2", "customer-3", "customer-4"]

    now = [1000.0]
    monkeypatch.setattr(rasa_runtime, "_clock", lambda: now[0])
    for entry in store._kept_trackers.values():
        entry.used = now[0]
    now[0] += rasa_runtime.KEPT_FOR_S - 1
    loop.run_until_complete(rasa_runtime.read_tracker(store, "customer-4"))  # used again
    now[0] += 2
    reads = store.reads
    loop.run_until_complete(store.retrieve("customer-4"))
    assert store.reads == reads, "the conversation used a moment ago is still kept"
    assert list(store._kept_trackers) == [], "the two idle for KEPT_FOR_S are forgotten"
    loop.close()


def test_a_function_called_flat_gives_what_the_tf_function_gives():
    """bot.rasa_runtime.CalledFlat: the same outputs as the `tf.function` (inputs converted to the
    signature's types), one trace, and the `tf.function`'s own error for inputs that do not fit."""
    import numpy as np
    import tensorflow as tf

    from bot.rasa_runtime import CalledFlat

    traces = []

    def predict(batch):
        traces.append(1)
        return {"score": tf.reduce_sum(batch[0], axis=1) + tf.cast(batch[1], tf.float32)}

    signature = [[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.int64)]]
    function = tf.function(predict, input_signature=signature, autograph=False)
    flat = CalledFlat(function)
    for rows in (1, 2, 5):
        batch = (np.arange(3 * rows, dtype=np.float64).reshape(rows, 3), np.arange(rows))
        assert np.array_equal(flat(batch)["score"].numpy(), function(batch)["score"].numpy())
    assert flat((np.ones((1, 3)), np.array([2])))["score"].numpy().tolist() == [5.0]
    assert len(traces) == 1
    for misfit in [(np.ones((2, 3)),), (np.ones((2, 4)), np.arange(2))]:
        with pytest.raises((TypeError, ValueError)) as ours:
            flat(misfit)
        with pytest.raises((TypeError, ValueError)) as theirs:
            function(misfit)
        assert str(ours.value) == str(theirs.value)
