"""NLU quality on test sets written apart from the training data.

Two held-out sets: test_nlu.yml (everyday Korean) and test_mixed.yml (English words
mixed in, order numbers written with hyphens or spaces). Intents are compared as the
catalogue names them: a retrieval intent counts as `faq/<topic>` from the response
selector; order numbers are compared as their 14 digits. Figures are printed and
written to tests/artifacts/nlu_report.json and nlu_mixed_report.json.
"""
from __future__ import annotations

import asyncio
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEST_FILE = ROOT / "tests" / "nlu" / "test_nlu.yml"
MIXED_TEST_FILE = ROOT / "tests" / "nlu" / "test_mixed.yml"
MODEL = ROOT / "models" / "modu.tar.gz"
ANNOTATION = re.compile(r"\[([^\]]+)\]\(([a-z_0-9]+)\)")

# (test file, its report, minimum intent accuracy, minimum number of utterances)
HELD_OUT_SETS = [
    (TEST_FILE, "nlu_report.json", 0.96, 150),
    (MIXED_TEST_FILE, "nlu_mixed_report.json", 0.95, 80),
]


def examples(path: Path):
    """(text, intent, [(entity, value)]) for every example of a Rasa NLU YAML file."""
    for block in yaml.safe_load(path.read_text())["nlu"]:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                raw = line[2:]
                entities = [(m.group(2), m.group(1)) for m in ANNOTATION.finditer(raw)]
                yield ANNOTATION.sub(r"\1", raw), block["intent"], entities


def normalise(text: str) -> str:
    return re.sub(r"[\s\.\,\!\?~]+", "", text).lower()


def entity_value(entity: str, value: str) -> str:
    """An order number as its 14 digits however it was written (2026-1119-000288)."""
    return re.sub(r"[^0-9]", "", value) if entity == "order_id" else value


@pytest.mark.parametrize("test_file, _report, _accuracy, minimum", HELD_OUT_SETS,
                         ids=lambda v: v.name if isinstance(v, Path) else "")
def test_the_test_set_is_apart_from_the_training_data(test_file, _report, _accuracy, minimum):
    training = {normalise(t) for f in (ROOT / "data" / "nlu").glob("*.yml") for t, _, _ in examples(f)}
    tests = [t for t, _, _ in examples(test_file)]
    shared = [t for t in tests if normalise(t) in training]
    assert len(tests) >= minimum
    assert len(set(map(normalise, tests))) == len(tests), "an utterance appears twice in the test set"
    assert shared == [], f"test utterances also in the training data: {shared}"


@pytest.fixture(scope="module")
def parse():
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    from rasa.core.agent import Agent

    loop = asyncio.new_event_loop()
    agent = Agent.load(str(MODEL))
    yield lambda text: loop.run_until_complete(agent.parse_message(text))
    loop.close()


def full_intent(result: dict) -> str:
    name = result["intent"]["name"]
    if name == "faq":
        key = result.get("response_selector", {}).get("faq", {}).get("response", {}).get("intent_response_key")
        return key or name
    return name


@pytest.mark.parametrize("test_file, report_name, min_accuracy, _minimum", HELD_OUT_SETS,
                         ids=lambda v: v.name if isinstance(v, Path) else "")
def test_intents_and_entities_on_the_held_out_set(parse, test_file, report_name, min_accuracy, _minimum):
    per_intent = defaultdict(Counter)
    errors, entity_hits, entity_totals, spurious = [], Counter(), Counter(), []
    for text, intent, entities in examples(test_file):
        entities = [(name, entity_value(name, value)) for name, value in entities]
        result = parse(text)
        predicted = full_intent(result)
        per_intent[intent]["total"] += 1
        if predicted == intent:
            per_intent[intent]["correct"] += 1
        else:
            errors.append({"text": text, "expected": intent, "predicted": predicted,
                           "confidence": round(result["intent"]["confidence"], 3)})
        found = {(e["entity"], e["value"]) for e in result["entities"]}
        for entity in entities:
            entity_totals[entity[0]] += 1
            entity_hits[entity[0]] += entity in found
        spurious += [(text, e) for e in found if e[0] in ("order_id", "phone_last4") and e not in entities]

    total = sum(c["total"] for c in per_intent.values())
    correct = sum(c["correct"] for c in per_intent.values())
    accuracy = correct / total
    recall = {name: entity_hits[name] / entity_totals[name] for name in entity_totals}
    report = {
        "utterances": total,
        "intent_accuracy": round(accuracy, 4),
        "per_intent": {k: f"{v['correct']}/{v['total']}" for k, v in sorted(per_intent.items())},
        "entity_recall": {k: round(v, 4) for k, v in recall.items()},
        "entity_counts": dict(entity_totals),
        "spurious_entities": spurious,
        "errors": errors,
    }
    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / report_name).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(test_file.name, json.dumps({k: report[k] for k in ("utterances", "intent_accuracy", "entity_recall")},
                                     ensure_ascii=False))
    for error in errors:
        print("  miss:", error)

    assert accuracy >= min_accuracy, f"intent accuracy {accuracy:.3f}; misses: {errors}"
    assert recall["order_id"] == 1.0
    assert recall["phone_last4"] == 1.0
    assert spurious == []
