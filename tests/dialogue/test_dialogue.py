"""Dialogue tests: the test stories through the trained model, failing on any wrong prediction."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_stories_predict_every_action(tmp_path):
    out = tmp_path / "results"
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false")
    run = subprocess.run(
        [os.sys.executable, "-m", "bot.rasa_cli", "test", "core", "--model", str(ROOT / "models" / "modu.tar.gz"),
         "--stories", str(ROOT / "tests" / "dialogue" / "test_stories.yml"), "--fail-on-prediction-errors",
         "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    failed = out / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else run.stdout[-3000:] + run.stderr[-3000:]
    assert run.returncode == 0, detail
    report = json.loads((out / "story_report.json").read_text())["conversation_accuracy"]
    print(f"dialogue tests: {report['correct']}/{report['total']} stories correct")
    assert report["total"] >= 15 and report["correct"] == report["total"], detail
