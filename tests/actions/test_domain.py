"""Fast feedback for scenario authors: the YAML and the actions agree.

- every response an action asks for exists in domain.yml (with every variable it fills);
- every response in domain.yml is used by a rule, a story or an action;
- `rasa data validate` finds no errors and no warnings beyond "used only by actions".
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from actions.claims import CLAIM_KIND_LABELS  # noqa: F401  (imports the actions: they must import)
from bot.shop import policy
from bot.shop.models import Status

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
RESPONSES = set(DOMAIN["responses"])
ACTION_CODE = "\n".join(p.read_text() for p in (ROOT / "actions").glob("*.py"))
DIALOGUE_DATA = "\n".join(p.read_text() for p in (ROOT / "data").glob("*/*.yml"))


def referenced_by_actions() -> set:
    names = set(re.findall(r'"(utter_[a-zA-Z0-9_]+)"', ACTION_CODE)) - {"utter_action"}  # a metadata key
    # Built from a rule's outcome: utter_<scenario>_<code> and utter_status_<STATUS>.
    for prefix in re.findall(r'response=f"(utter_[a-z_]+_)\{decision\.code\}"', ACTION_CODE):
        names |= {n for n in RESPONSES if n.startswith(prefix)}
    names |= {f"utter_status_{s.value}" for s in (Status.PAID, Status.PREPARING, Status.SHIPPED,
                                                  Status.DELIVERED, Status.CONFIRMED)}
    names |= {"utter_handback"}  # executed by the gateway on hand-back
    return names


def form_questions() -> set:
    return {f"utter_ask_{form}_{slot}" for form, spec in DOMAIN["forms"].items() for slot in spec["required_slots"]}


def test_every_response_an_action_uses_exists():
    assert referenced_by_actions() - RESPONSES == set()


def test_every_refusal_code_of_the_rules_has_a_response():
    codes = {"shipped", "in_progress", "closed"}
    assert {f"utter_cancel_refused_{c}" for c in codes} <= RESPONSES
    assert {f"utter_address_refused_{c}" for c in codes} <= RESPONSES
    return_codes = {"not_shipped", "in_transit", "in_progress", "closed", "window_passed"}
    assert {f"utter_return_refused_{c}" for c in return_codes} <= RESPONSES
    for status in Status:
        decision = policy.return_request(status, None if status is not Status.DELIVERED else
                                         policy.datetime(2026, 11, 1), policy.datetime(2026, 11, 30),
                                         policy.CHANGE_OF_MIND, 10000, 6000)
        if decision.outcome == policy.REFUSE:
            assert f"utter_return_refused_{decision.code}" in RESPONSES


def test_every_response_is_used():
    used = referenced_by_actions() | set(re.findall(r"(utter_[a-zA-Z_]+)", DIALOGUE_DATA))
    used |= form_questions()
    unused = {r for r in RESPONSES if r.split("/")[0] not in used and r not in used}
    assert unused == set()


def test_rasa_data_validate_is_clean():
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false")
    run = subprocess.run([str(Path(sys.executable).parent / "rasa"), "data", "validate"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    warnings = [line for line in (run.stdout + run.stderr).splitlines() if "UserWarning" in line]
    used_by_actions = referenced_by_actions() | form_questions()
    # Rasa itself warns that `faq` is "duplicated" when the domain lists a retrieval intent as
    # its docs ask (the NLU data brings it too); leaving it out warns the other way round.
    unexpected = [w for w in warnings
                  if not any(f"'{name}' is not used in any story or rule" in w for name in used_by_actions)
                  and "duplicated intents have been found across multiple domain files: faq" not in w]
    assert unexpected == []
