"""The retraining job's pure parts (bot.studio.training, bot.studio.evaluation): validation errors
in plain words with file and line, progress from `rasa train`'s output, the side-by-side evaluation."""
from __future__ import annotations

import json

from bot.studio import evaluation, training

VALIDATE_OUTPUT = """\x1b[93m/x/rasa/shared/utils/io.py:100: UserWarning: The utterance 'utter_no_orders' is not used in any story or rule.
\x1b[0m2026-11-28 03:18:01 INFO     rasa.validator  - Validating intents...
\x1b[93m/x/rasa/shared/utils/io.py:100: UserWarning: The following duplicated intents have been found across multiple domain files: faq
  More info at https://rasa.com/docs/rasa/domain
\x1b[91mYamlSyntaxException: Failed to read 'data/nlu/orders.yml'. while parsing a flow sequence in line 11
You can use https://yamlchecker.com/ to validate the YAML syntax of your file.\x1b[0m
2026-11-28 03:18:02 ERROR    rasa.validator  - The intent 'cancel_ordr' in 'data/rules/orders.yml' is not listed in the domain.
"""


def test_validate_output_in_plain_words_with_file_and_line():
    found = training.plain_words(VALIDATE_OUTPUT)
    assert found["errors"] == [
        {"file": "data/nlu/orders.yml", "line": 11,
         "message": "Failed to read 'data/nlu/orders.yml'. while parsing a flow sequence in line 11"},
        {"file": "data/rules/orders.yml", "line": None,
         "message": "The intent 'cancel_ordr' in 'data/rules/orders.yml' is not listed in the domain."},
    ]
    assert found["warnings"] == [{"file": None, "line": None,
                                  "message": "The utterance 'utter_no_orders' is not used in any story or rule."}]


def test_yaml_syntax_errors_name_the_file_and_the_line(tmp_path):
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "domain.yml").write_text("version: '3.1'\n")
    (tmp_path / "config.yml").write_text("recipe: default.v1\n")
    (tmp_path / "data" / "nlu" / "orders.yml").write_text("nlu:\n- intent: greet\n  examples: |\n    - 안녕\n  bad: [x\n")
    errors = training.yaml_errors(tmp_path)
    assert [(e["file"], e["line"]) for e in errors] == [("data/nlu/orders.yml", 6)]
    assert errors[0]["message"].startswith("YAML 문법 오류: ")


def test_training_progress_from_components_and_epochs():
    progress = training.TrainProgress(total=4)
    progress.feed("2026 INFO rasa.engine.training.hooks - Starting to train component 'KiwiTokenizer'.\n"
                  "2026 INFO rasa.engine.training.hooks - Finished training component 'KiwiTokenizer'.\n")
    assert progress.fraction == 0.25
    progress.feed("Starting to train component 'DIETClassifier'.\nEpochs:  10%|#  | 8/80 [00:01<00:09]\r"
                  "Epochs:  50%|#####     | 40/80 [00:05<00:05]\r")
    assert (progress.fraction, progress.current) == (0.375, "DIETClassifier")
    progress.feed("Finished training compo")  # a line cut in two by the reads
    progress.feed("nent 'DIETClassifier'.\n")
    assert progress.fraction == 0.5


def report(tmp_path, name, intents, stories=(17, 17)):
    out = tmp_path / name
    out.mkdir()
    (out / "intent_report.json").write_text(json.dumps(dict(intents, accuracy=0.9, **{
        "macro avg": {"precision": 0.9}, "weighted avg": {"precision": 0.9}})))
    (out / "story_report.json").write_text(json.dumps({"conversation_accuracy": {
        "accuracy": stories[0] / stories[1], "correct": stories[0], "total": stories[1]}}))
    return evaluation.read(out)


def test_the_evaluation_side_by_side_with_the_changed_confusions(tmp_path):
    serving = report(tmp_path, "old", {
        "cancel_order": {"precision": 1.0, "recall": 0.8, "f1-score": 0.8889, "support": 10,
                         "confused_with": {"contact_seller": 2}},
        "contact_seller": {"precision": 0.8, "recall": 1.0, "f1-score": 0.8889, "support": 8, "confused_with": {}}})
    candidate = report(tmp_path, "new", {
        "cancel_order": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 10, "confused_with": {}},
        "contact_seller": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 8, "confused_with": {}}},
        stories=(16, 17))
    result = evaluation.compare(serving, candidate)
    assert result["intents"][0] == {
        "intent": "cancel_order", "serving": {"precision": 1.0, "recall": 0.8, "f1": 0.8889, "support": 10},
        "candidate": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 10}, "f1_change": 0.1111}
    assert result["confusion_changes"] == [{"pair": "cancel_order -> contact_seller", "serving": 2, "candidate": 0}]
    assert result["stories"]["serving"] == {"correct": 17, "total": 17, "accuracy": 1.0}
    assert result["stories"]["candidate"]["correct"] == 16
    assert result["accuracy"] == {"serving": 0.9, "candidate": 0.9} and result["has_serving"] is True
