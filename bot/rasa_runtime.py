"""Two of Rasa 3.6's costs per message, removed inside the Rasa server (bot.rasa_server applies
them before Rasa starts). Both keep Rasa's behaviour; they only stop redoing constant work.

- Every action server response is checked against Rasa's response schema with
  `jsonschema.validate`, which first validates the schema itself and builds a new validator:
  about 30 % of the Rasa server's CPU per message under load. Here the schema is checked and
  its validator built once; responses are validated as before (same best-matching error, same
  message).
- Every event read back from the tracker store finds its class by walking all subclasses of
  `Event` (Rasa reads the whole tracker two or three times a turn): about 10 %. Here each
  event name is looked up once and remembered.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text, Type


def apply() -> None:
    validate_action_responses_with_one_validator()
    remember_event_classes()


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
