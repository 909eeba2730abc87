"""What `rasa test` wrote, read and compared: the candidate beside the model now serving.

    report = read(out_dir)        # {"intents": {name: {precision, recall, f1, support}},
                                  #  "confusions": {"a -> b": n}, "accuracy": x, "stories": {...}}
    compare(serving, candidate)   # side by side, the confusion pairs that changed, the verdict
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def read(out: Path) -> Dict[str, Any]:
    intents_raw = json.loads((out / "intent_report.json").read_text())
    intents, confusions = {}, {}
    for name, row in intents_raw.items():
        if name in SUMMARY_ROWS or not isinstance(row, dict):
            continue
        intents[name] = {"precision": round(row.get("precision", 0.0), 4), "recall": round(row.get("recall", 0.0), 4),
                         "f1": round(row.get("f1-score", 0.0), 4), "support": row.get("support", 0)}
        for other, n in (row.get("confused_with") or {}).items():
            confusions[f"{name} -> {other}"] = n
    accuracy = intents_raw.get("accuracy")
    if isinstance(accuracy, dict):
        accuracy = accuracy.get("f1-score")
    stories = {}
    story_file = out / "story_report.json"
    if story_file.exists():
        conv = json.loads(story_file.read_text()).get("conversation_accuracy") or {}
        stories = {"correct": conv.get("correct"), "total": conv.get("total"), "accuracy": conv.get("accuracy")}
    failed = out / "failed_test_stories.yml"
    if failed.exists():
        stories["failed"] = [line.split(":", 1)[1].strip() for line in failed.read_text().splitlines()
                             if line.startswith("- story:")]
    return {"intents": intents, "confusions": confusions, "accuracy": accuracy, "stories": stories}


def compare(serving: Optional[Dict[str, Any]], candidate: Dict[str, Any]) -> Dict[str, Any]:
    old = serving or {"intents": {}, "confusions": {}, "accuracy": None, "stories": {}}
    rows: List[Dict[str, Any]] = []
    for name in sorted(set(old["intents"]) | set(candidate["intents"])):
        before, after = old["intents"].get(name), candidate["intents"].get(name)
        rows.append({"intent": name, "serving": before, "candidate": after,
                     "f1_change": round(after["f1"] - before["f1"], 4) if before and after else None})
    changed = []
    for pair in sorted(set(old["confusions"]) | set(candidate["confusions"])):
        a, b = old["confusions"].get(pair, 0), candidate["confusions"].get(pair, 0)
        if a != b:
            changed.append({"pair": pair, "serving": a, "candidate": b})
    changed.sort(key=lambda c: -abs(c["candidate"] - c["serving"]))
    return {"intents": rows, "confusion_changes": changed,
            "accuracy": {"serving": old["accuracy"], "candidate": candidate["accuracy"]},
            "stories": {"serving": old["stories"], "candidate": candidate["stories"]},
            "has_serving": serving is not None}
