"""Constant work Rasa 3.6 redoes, removed inside the Rasa server (bot.rasa_server applies this
before Rasa starts). Each keeps Rasa's behaviour; it only stops redoing constant work.

- Every action server response is checked against Rasa's response schema with
  `jsonschema.validate`, which first validates the schema itself and builds a new validator:
  about 30 % of the Rasa server's CPU per message under load. Here the schema is checked and
  its validator built once; responses are validated as before (same best-matching error, same
  message). Before that, a quick check passes a response whose every event matches its own
  event's schema (the full check tries all 23 event schemas on every event): 0.11 ms against 0.86.
- Every event read back from the tracker store finds its class by walking all subclasses of
  `Event` (Rasa reads the whole tracker two or three times a turn): about 10 %. Here each
  event name is looked up once and remembered.
- Saving a turn, the SQL tracker store first reads the conversation's whole session back and
  rebuilds a tracker from it, only to count its events and send the new ones to the event
  broker; then it counts the stored events again with a query to know which to insert. Here
  the count query serves both (the same events go to the broker and to the table).
- Loading a TensorFlow model (DIET, the ResponseSelector) first runs one training step on one
  example, only to create the weights before they are read from the model file. Keras traces
  the whole training step into a graph for that single call: about two thirds of the model's
  load time, and most of the Rasa server's cold start. Here that one step runs eagerly (the
  same step, without tracing it); the weights are then read from the file as before, and the
  prediction graph is traced without AutoGraph (nothing in it to convert). Predictions call that
  traced function directly (`CalledFlat`), not through `tf.function`, which matched every call's
  inputs against the signature again.
- Every turn, the SQL tracker store reads the conversation's whole session back and rebuilds a
  tracker from it, event by event, and our channel's retry check does it once more: the same
  tracker the previous turn saved. Here the tracker a turn saved is kept in memory and handed to
  the next turn when the conversation's last stored event is still the one it saved (one indexed
  query instead of the read); anything else (another Rasa instance wrote in between, a new
  session, a model with another domain, a turn that failed before saving) reads it as before.
  Its save then needs no count of the stored events either, while that last event is unchanged.
- (Serving only.) The ResponseSelector runs its TensorFlow model on every message, though its
  FAQ answer is read only for a message whose intent is `faq`; here it runs for those.
- (Serving only.) Every graph run (a message's NLU, each prediction of the next action) walks
  the model's graph again for the nodes it needs; here that is found once per set of targets.
  Rasa then builds a dask task graph for it and lets dask's scheduler order and run it; here the
  nodes are called in an order found once per set of targets.
- Rasa's SQLite tracker store opens and closes a connection for every session (SQLAlchemy 1.4
  does not pool a SQLite file), three a turn; closing a WAL database's last connection also
  checkpoints it. Here the connections are pooled.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text, Tuple, Type


def apply(serving: bool = False) -> None:
    """All of the below; `serving` (the Rasa server, not `rasa test`, which may train) adds the
    FAQ answer skipped for a message that is not a FAQ, and the graph schemas found once."""
    if serving:
        select_responses_for_the_retrieval_intent_only()
        run_graphs_on_their_minimal_schema_found_once()
        run_graphs_in_an_order_found_once()
    validate_action_responses_with_one_validator()
    remember_event_classes()
    keep_trackers_between_turns()
    keep_sqlite_tracker_store_connections()
    load_models_without_tracing_a_training_step()


def validate_action_responses_with_one_validator() -> None:
    from jsonschema import ValidationError, validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import DOCS_BASE_URL, RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    valid = quick_check(schema, cls)

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        if valid(result):
            return True
        error: Optional[ValidationError] = best_match(validator.iter_errors(result))
        if error is not None:  # as rasa.core.actions.action.RemoteAction._validate_action_result
            error.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = _validate_action_result


def quick_check(schema: Dict[Text, Any], cls: Any) -> Any:
    """A test that passes only responses the full schema passes, about 8 times faster.

    An event must match exactly one of the schema's `oneOf` alternatives, one per event name
    (`"event": {"const": ...}`), so the full check tries all 23 for every event, building an
    error for each that fails. An event can only match the alternative of its own name: here each
    event is checked against that one alone, and the rest of the response without its events. A
    response this does not pass gets the full check (its error, or a pass)."""
    items = schema["properties"]["events"]["items"]
    names = [alternative["properties"]["event"].get("const") for alternative in items.get("oneOf", [])]
    if not names or None in names or len(set(names)) != len(names):
        return lambda result: False  # not the shape this relies on: always the full check
    base = {key: value for key, value in items.items() if key != "oneOf"}
    by_name = {name: cls({**base, "allOf": [alternative]}) for name, alternative in zip(names, items["oneOf"])}
    events = dict(schema["properties"]["events"], items={})
    rest = cls(dict(schema, properties=dict(schema["properties"], events=events)))

    def valid(result: Any) -> bool:
        return rest.is_valid(result) and all(
            isinstance(event, dict) and isinstance(event.get("event"), str) and event["event"] in by_name
            and by_name[event["event"]].is_valid(event) for event in result.get("events") or [])

    return valid


def remember_event_classes() -> None:
    from rasa.shared.core.events import Event

    find = Event.resolve_by_type
    if getattr(find, "remembers", False):
        return
    found: Dict[Text, Type[Event]] = {}

    def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        cls = found.get(type_name)
        if cls is None:
            cls = find(type_name, default)  # raises for an unknown name without a default, as before
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    resolve_by_type.remembers = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]


async def _save_turn(store: Any, tracker: Any, known: Optional["_Kept"] = None
                     ) -> Tuple[List[Any], Optional[Tuple[int, Optional[float]]]]:
    """rasa.core.tracker_store.SQLTrackerStore.save, with the new events found once: the events
    of the tracker beyond those stored since the session started (Rasa's `_additional_events`,
    which is also what its broker diff amounts to), streamed to the broker, then inserted.
    Returns them, and the id and timestamp of the last one. `known`: what the tracker was kept
    with when it was handed over; while its last event is still the table's, the events it held
    then are the stored ones, without a count."""
    import itertools
    import json

    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    with store.session_scope() as session:
        if known is not None and _last_event(store, session, tracker.sender_id) == known.last_event:
            stored = known.length
        else:
            stored = store._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
        new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
        if store.event_broker is not None:
            await store._stream_new_events(store.event_broker, new_events, tracker.sender_id)
        row = None
        for event in new_events:
            data = event.as_dict()
            row = store.SQLEvent(sender_id=tracker.sender_id, type_name=event.type_name,
                                 timestamp=data.get("timestamp"),
                                 intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                                 action_name=data.get("name"), data=json.dumps(data))
            session.add(row)
        last = None
        if row is not None:
            session.flush()  # the ids, before the commit expires the rows
            last = _event_key(row.id, row.timestamp)
        session.commit()
    return new_events, last


# Trackers kept between turns, per tracker store: the conversations active in the last
# KEPT_FOR_S seconds, at most KEPT_TRACKERS of them (least recently used out). A tracker takes
# about 20 KB a turn in memory (113 KB for a conversation of 6 messages, 69 events).
KEPT_TRACKERS = 500
KEPT_FOR_S = 600.0
_clock = time.monotonic


class _Kept:
    """A tracker a turn saved, with what has to be unchanged for the next turn to use it."""

    __slots__ = ("tracker", "last_event", "length", "domain", "used")

    def __init__(self, tracker: Any, last_event: Tuple[int, Optional[float]], domain: Any) -> None:
        self.tracker, self.last_event, self.domain = tracker, last_event, domain
        self.length = len(tracker.events)  # events are only appended (no trackers with a maxlen kept)
        self.used = _clock()

    def unchanged(self, store: Any) -> bool:
        """Nobody appended to the tracker since it was kept, and the model's domain is the same."""
        return self.domain is store.domain and len(self.tracker.events) == self.length


def _kept(store: Any) -> "OrderedDict[Text, _Kept]":
    kept = store.__dict__.get("_kept_trackers")  # made by the first save
    if kept is None:
        kept = store.__dict__["_kept_trackers"] = OrderedDict()
    return kept


_LAST_EVENT: Dict[Text, Any] = {}


def _last_event(store: Any, session: Any, sender_id: Text) -> Optional[Tuple[int, Optional[float]]]:
    """The id and timestamp of the conversation's last stored event (the index on sender_id).
    A plain statement made once: an ORM query is built and compiled again at every call, which
    cost more than the query itself, three or four times a turn."""
    table = store.SQLEvent.__tablename__
    statement = _LAST_EVENT.get(table)
    if statement is None:
        from sqlalchemy import text

        statement = _LAST_EVENT[table] = text(
            f"SELECT id, timestamp FROM {table} WHERE sender_id = :sender_id ORDER BY id DESC LIMIT 1")
    row = session.execute(statement, {"sender_id": sender_id}).first()
    return _event_key(*row) if row is not None else None


def _event_key(event_id: Any, timestamp: Any) -> Tuple[int, Optional[float]]:
    return int(event_id), None if timestamp is None else float(timestamp)


def _still_current(store: Any, entry: Optional[_Kept], sender_id: Text) -> bool:
    if entry is None or not entry.unchanged(store):
        return False
    with store.session_scope() as session:
        return _last_event(store, session, sender_id) == entry.last_event


def keep_trackers_between_turns() -> None:
    """rasa.core.tracker_store.SQLTrackerStore.retrieve, with the tracker the previous turn saved
    handed over instead of read back, when it is still what the table holds.

    `retrieve` hands the kept tracker over and forgets it (the turn changes it in place; a turn
    that fails before saving leaves nothing behind). `save` keeps the tracker it stored, with the
    id and timestamp of the last event it inserted; a later event in the table (another Rasa
    instance, an API call) makes the next turn read the table. A turn that starts a new session
    in a conversation is not kept: Rasa reads a session from its start, and the saved tracker
    holds the session before too (a new conversation's first session is kept).
    `read_tracker` (our channel's retry check) looks without taking, and keeps what it reads.
    The save is `_save_turn`: it does not read the tracker back."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    if getattr(SQLTrackerStore.retrieve, "kept", False):
        return
    rasa_retrieve = SQLTrackerStore.retrieve

    async def retrieve(self: SQLTrackerStore, sender_id: Text) -> Any:
        kept = _kept(self)
        entry = kept.pop(sender_id, None)
        _forget_idle(kept)
        if _still_current(self, entry, sender_id):
            entry.tracker.kept_as = entry  # for its save
            return entry.tracker
        return await rasa_retrieve(self, sender_id)

    async def save(self: SQLTrackerStore, tracker: Any) -> None:
        kept = _kept(self)
        kept.pop(tracker.sender_id, None)
        known = tracker.__dict__.pop("kept_as", None)
        inserted, last = await _save_turn(self, tracker, known)
        if last is None or tracker.events.maxlen is not None \
                or any(isinstance(event, SessionStarted) for event in inserted) and not _as_rasa_reads_it(tracker):
            return
        _keep(kept, tracker, last, self.domain)

    retrieve.kept = True  # type: ignore[attr-defined]
    SQLTrackerStore.retrieve = retrieve  # type: ignore[assignment]
    SQLTrackerStore.save = save  # type: ignore[assignment]


def _keep(kept: "OrderedDict[Text, _Kept]", tracker: Any, last_event: Any, domain: Any) -> None:
    kept[tracker.sender_id] = _Kept(tracker, last_event, domain)
    _forget_idle(kept)


def _forget_idle(kept: "OrderedDict[Text, _Kept]") -> None:
    """Least recently used first: out while too many, or idle for KEPT_FOR_S."""
    idle_since = _clock() - KEPT_FOR_S
    while kept and (len(kept) > KEPT_TRACKERS or next(iter(kept.values())).used < idle_since):
        kept.popitem(last=False)


def _as_rasa_reads_it(tracker: Any) -> bool:
    """Whether a tracker that started a session holds what Rasa's `retrieve` reads back: the
    events from the latest SessionStarted's timestamp on (a new conversation: its
    `action_session_start` is logged just before, with a later timestamp), not the session before."""
    from rasa.shared.core.events import SessionStarted

    events = list(tracker.events)
    starts = [i for i, event in enumerate(events) if isinstance(event, SessionStarted)]
    if not starts:
        return True
    began = events[starts[-1]].timestamp
    return all(event.timestamp >= began for event in events[:starts[-1]])


async def read_tracker(store: Any, sender_id: Text) -> Any:
    """The conversation's tracker to read, not to change: the kept one when it is current (it
    stays kept), else the tracker store's `retrieve`, kept for the turn that follows."""
    inner = store
    while hasattr(inner, "_tracker_store"):  # Rasa's fail-safe and awaitable wrappers
        inner = inner._tracker_store
    kept = _kept(inner) if getattr(type(inner).retrieve, "kept", False) else None
    if kept is None:
        return await store.retrieve(sender_id)
    entry = kept.get(sender_id)
    if _still_current(inner, entry, sender_id):
        kept.move_to_end(sender_id)
        entry.used = _clock()
        return entry.tracker
    with inner.session_scope() as session:
        last = _last_event(inner, session, sender_id)  # before the read: a later event makes it stale
    tracker = await store.retrieve(sender_id)
    if tracker is not None and last is not None and tracker.events and tracker.events.maxlen is None:
        _keep(kept, tracker, last, inner.domain)
    return tracker


def keep_sqlite_tracker_store_connections() -> None:
    """rasa.core.tracker_store.create_engine_kwargs, with a pool for a SQLite file. SQLAlchemy 1.4
    opens and closes a SQLite file's connection for every session (three a turn); closing the
    last connection of a database in WAL mode also checkpoints the log into it. A pooled
    connection stays open (PostgreSQL's engine is pooled already)."""
    import rasa.core.tracker_store as tracker_store

    rasa_kwargs = tracker_store.create_engine_kwargs
    if getattr(rasa_kwargs, "pooled", False):
        return

    def create_engine_kwargs(url: Any) -> Dict[Text, Any]:
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import QueuePool

        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}
        return rasa_kwargs(url)

    create_engine_kwargs.pooled = True  # type: ignore[attr-defined]
    tracker_store.create_engine_kwargs = create_engine_kwargs


def select_responses_for_the_retrieval_intent_only() -> None:
    """rasa.nlu.selectors.response_selector.ResponseSelector.process, for the messages whose
    intent (from DIET, which runs before it) is the selector's retrieval intent (`faq`). Rasa
    runs the selector's TensorFlow model on every message; its answer is read only for that
    intent: by the retrieval action `utter_faq`, which the FAQ rule runs for it, and by the
    analytics, which take the FAQ topic of a `faq` message. Serving only: `rasa test` scores the
    selector on its own, so the studio's evaluation keeps Rasa's way."""
    from rasa.nlu.selectors.response_selector import ResponseSelector
    from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY

    rasa_process = ResponseSelector.process
    if getattr(rasa_process, "retrieval_only", False):
        return

    def process(self: ResponseSelector, messages: List[Any]) -> List[Any]:
        if not self.retrieval_intent:  # a selector for every retrieval intent: as Rasa does
            return rasa_process(self, messages)
        asked = [m for m in messages if (m.get(INTENT) or {}).get(INTENT_NAME_KEY) == self.retrieval_intent]
        if asked:
            rasa_process(self, asked)
        return messages

    process.retrieval_only = True  # type: ignore[attr-defined]
    ResponseSelector.process = process  # type: ignore[assignment]


def run_graphs_on_their_minimal_schema_found_once() -> None:
    """rasa.engine.graph.GraphSchema.minimal_graph_schema, remembered per schema and set of
    targets. The graph runner asks for it on every run (the NLU parse of each message, each
    prediction of the next action), and Rasa walks the graph for it recursively, without noting
    a node already seen; the graph of a loaded model does not change. Serving only (training
    builds and prunes schemas)."""
    from rasa.engine.graph import GraphSchema

    rasa_minimal = GraphSchema.minimal_graph_schema
    if getattr(rasa_minimal, "remembered", False):
        return

    def minimal_graph_schema(self: GraphSchema, targets: Optional[List[Text]] = None) -> GraphSchema:
        found = self.__dict__.setdefault("_minimal_schemas", {})
        key = tuple(targets) if targets else None
        if key not in found:
            found[key] = rasa_minimal(self, targets)
        return found[key]

    minimal_graph_schema.remembered = True  # type: ignore[attr-defined]
    GraphSchema.minimal_graph_schema = minimal_graph_schema  # type: ignore[assignment]


def run_graphs_in_an_order_found_once() -> None:
    """rasa.engine.runner.dask.DaskGraphRunner.run, calling the nodes a run needs in an order found
    once per set of targets. For every run (the NLU of each message, each prediction of the next
    action) Rasa builds a dask task graph, has dask's scheduler order and run it, and formats the
    run's inputs (the message, the tracker) into a debug message whether or not debug logging is
    on: about 7 % of the Rasa server's CPU per message. Here each node runs after the nodes it
    needs (depth first, in the order of its `needs`) and gets their outputs as dask gives them, a
    `(node name, output)` pair each. Serving only."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    if getattr(DaskGraphRunner.run, "in_order", False):
        return

    def order(runner: DaskGraphRunner, targets: Tuple[Text, ...]) -> List[Tuple[Text, Any, Tuple[Text, ...]]]:
        found = runner.__dict__.setdefault("_orders", {})
        if targets not in found:
            schema = runner._graph_schema.minimal_graph_schema(list(targets))
            steps: List[Tuple[Text, Any, Tuple[Text, ...]]] = []
            seen: set = set()

            def visit(name: Text) -> None:
                if name in seen or name not in schema.nodes:
                    return
                seen.add(name)
                needs = tuple(schema.nodes[name].needs.values())
                for parent in needs:
                    visit(parent)
                steps.append((name, runner._instantiated_nodes[name], needs))

            for target in targets:
                visit(target)
            found[targets] = steps
        return found[targets]

    def run(self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None,
            targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        steps = order(self, tuple(run_targets))
        outputs: Dict[Text, Any] = {}
        for name, value in (inputs or {}).items():  # as DaskGraphRunner._add_inputs_to_graph
            if isinstance(value, str) and any(value == step[0] for step in steps):
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            outputs[name] = (name, value)
        try:
            for name, node, needs in steps:
                if name not in outputs:  # an input of that name stands in for the node, as in dask
                    outputs[name] = node(*[outputs.get(need, need) for need in needs])
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(outputs[target] for target in run_targets)

    run.in_order = True  # type: ignore[attr-defined]
    DaskGraphRunner.run = run  # type: ignore[assignment]


def load_models_without_tracing_a_training_step() -> None:
    """rasa.utils.tensorflow.models.RasaModel.load, with its weight-building training step run
    eagerly; the model predicts as compiled by Rasa (a traced graph unless `run_eagerly`)."""
    from rasa.utils.tensorflow.models import RasaModel

    if getattr(RasaModel.load, "eager_build", False):
        return
    rasa_load = RasaModel.load.__func__  # type: ignore[attr-defined]

    def load(cls: Type[RasaModel], model_file_name: Text, model_data_example: Any,
             predict_data_example: Any = None, finetune_mode: bool = False, *args: Any, **kwargs: Any) -> RasaModel:
        if finetune_mode:  # training goes on: Rasa's own way, optimizer state and all
            return rasa_load(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                             *args, **kwargs)
        import tensorflow as tf
        from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
        from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

        config = kwargs.get("config", {})
        model = cls(*args, **kwargs)
        model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=True)
        model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
        model.load_weights(model_file_name)
        model.run_eagerly = bool(config.get(RUN_EAGERLY))  # predictions: as Rasa compiles them
        if predict_data_example and not model.run_eagerly:
            # Rasa's prediction graph, traced without AutoGraph: the prediction code has no Python
            # control flow on tensors to convert (a tensor in an `if` would fail this trace, not
            # pass silently), and AutoGraph's conversion is a third of the model's load time.
            from rasa.utils.train_utils import create_data_generators

            generator, _ = create_data_generators(predict_data_example, batch_sizes=1, epochs=1, shuffle=False)
            batch = next(iter(generator))[0]
            model._tf_predict_step = CalledFlat(tf.function(
                model.predict_step, input_signature=model._dynamic_signature(batch), autograph=False))
        if predict_data_example:
            model.run_inference(predict_data_example)  # traces the prediction graph, as Rasa does
        return model

    load.eager_build = True  # type: ignore[attr-defined]
    RasaModel.load = classmethod(load)  # type: ignore[assignment]


class CalledFlat:
    """A `tf.function` with an input signature, called as its one concrete function.

    Called as a `tf.function`, TensorFlow matches every call's inputs against the signature again
    and looks the traced function up (about 6 % of the Rasa server's busy time per message, for one
    or two predictions). Here that function is traced once and each call converts the inputs to
    the signature's types and runs it, as the `tf.function` would after its look-up. Inputs of
    another number or shape go through the `tf.function` (its error, or its trace).
    """

    def __init__(self, function: Any) -> None:
        import tensorflow as tf

        self.function = function
        self.concrete = function.get_concrete_function()
        self.specs = tf.nest.flatten(function.input_signature)
        self._convert = tf.convert_to_tensor

    def __call__(self, batch_in: Any) -> Any:
        if len(batch_in) != len(self.specs):
            return self.function(batch_in)
        flat = [self._convert(x, dtype=spec.dtype) for x, spec in zip(batch_in, self.specs)]
        if not all(spec.shape.is_compatible_with(t.shape) for spec, t in zip(self.specs, flat)):
            return self.function(batch_in)
        return self.concrete._call_flat(flat, self.concrete.captured_inputs)
