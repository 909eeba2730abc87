"""Constant work Rasa 3.6 redoes, removed inside the Rasa server (bot.rasa_server applies this
before Rasa starts). Each keeps Rasa's behaviour; it only stops redoing constant work.

- Every action server response is checked against Rasa's response schema with
  `jsonschema.validate`, which first validates the schema itself and builds a new validator:
  about 30 % of the Rasa server's CPU per message under load. Here the schema is checked and
  its validator built once; responses are validated as before (same best-matching error, same
  message).
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
  prediction graph is traced without AutoGraph (nothing in it to convert).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text, Type


def apply() -> None:
    validate_action_responses_with_one_validator()
    remember_event_classes()
    save_turns_without_reading_the_tracker_back()
    load_models_without_tracing_a_training_step()


def validate_action_responses_with_one_validator() -> None:
    from jsonschema import ValidationError, validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import DOCS_BASE_URL, RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
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


def save_turns_without_reading_the_tracker_back() -> None:
    """rasa.core.tracker_store.SQLTrackerStore.save, with the new events found once: the events
    of the tracker beyond those stored since the session started (Rasa's `_additional_events`,
    which is also what its broker diff amounts to), streamed to the broker, then inserted."""
    import itertools
    import json

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    if getattr(SQLTrackerStore.save, "one_read", False):
        return

    async def save(self: SQLTrackerStore, tracker: Any) -> None:
        with self.session_scope() as session:
            stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            if self.event_broker is not None:
                await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
            for event in new_events:
                data = event.as_dict()
                session.add(self.SQLEvent(sender_id=tracker.sender_id, type_name=event.type_name,
                                          timestamp=data.get("timestamp"),
                                          intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                                          action_name=data.get("name"), data=json.dumps(data)))
            session.commit()

    save.one_read = True  # type: ignore[attr-defined]
    SQLTrackerStore.save = save  # type: ignore[assignment]


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
            model._tf_predict_step = tf.function(model.predict_step, input_signature=model._dynamic_signature(batch),
                                                 autograph=False)
        if predict_data_example:
            model.run_inference(predict_data_example)  # traces the prediction graph, as Rasa does
        return model

    load.eager_build = True  # type: ignore[attr-defined]
    RasaModel.load = classmethod(load)  # type: ignore[assignment]
