"""The authors' loop on the real stack, the issue's seven steps, with ONE training (about 3 minutes with its evaluation):

1. customers send messages the serving model gets wrong;  2. they appear in the NLU inbox;
3. an author corrects them;  4. the examples land in the right YAML file of the studio's copy of
the project and `rasa data validate` passes (the job's first step);  5. retraining and evaluation
complete, and the new model is activated while a scripted customer keeps chatting: no reply lost
or doubled;  6. the corrected messages are now classified right;  7. rollback restores the old
behaviour.

The stack is this module's own, over a fresh database and a fresh copy of data/ (tests/stack.py
studio_copy). Skipped in the PostgreSQL pass: the training alone takes minutes, and nothing in it
depends on the database; the SQLite pass covers it.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import yaml

from tests.stack import TRAINED, own_stack, text_of
from tests.studio_messages import parse, typings, wrong_ones

pytestmark = [pytest.mark.stack, pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")),
    reason="one model training (about 3 min) is enough per CI run: the SQLite pass runs the studio loop")]

CHAT = ["안녕하세요", "고마워요"]  # the scripted customer during the swap
TRAIN_TIMEOUT = 1800


@pytest.fixture(scope="module")
def studio_stack(tmp_path_factory):
    with own_stack(tmp_path_factory.mktemp("studio")) as running:
        yield running


def project_of(stack) -> Path:
    return Path(stack.supervisor.child("gateway").env["STUDIO_PROJECT_DIR"])


def wait_for_inbox(author, texts, timeout=60):
    deadline = time.time() + timeout
    while True:
        groups = author.call("GET", "/api/staff/nlu/inbox").json()["groups"]
        found = {t: next((g for g in groups if t in g["variants"]), None) for t in texts}
        if all(found.values()) or time.time() > deadline:
            return groups, found
        time.sleep(1)


class ScriptedCustomer(threading.Thread):
    """Keeps chatting until stopped; counts what it sent and the replies it got."""

    def __init__(self, stack):
        super().__init__(daemon=True)
        self.customer = stack.customer()
        self.stop = threading.Event()
        self.sent, self.replies, self.failures = [], 0, []

    def run(self):
        i = 0
        while not self.stop.is_set():
            text = CHAT[i % 2]
            resp = self.customer.send(text, timeout=120)
            if resp.status_code != 200:
                self.failures.append(resp.status_code)
            else:
                replies = resp.json()["replies"]
                self.sent.append(text)
                self.replies += len(replies)
                if not replies or "잠시" in text_of(replies) and "오류" in text_of(replies):
                    self.failures.append(text_of(replies))
            i += 1
            time.sleep(0.2)


def test_review_correct_retrain_swap_and_roll_back(studio_stack):
    stack = studio_stack
    author = stack.staff("author1", "author1234")
    project = project_of(stack)
    CORRECTIONS, grouped = wrong_ones(stack)
    before = {t: parse(stack, t)[0] for t in CORRECTIONS}
    print(f"\nstudio: the serving model gets these wrong: {before}")

    # 1. customers send messages the model gets wrong (one of them typed three ways)
    assert all(before[t] != intent for t, (intent, _) in CORRECTIONS.items()), before
    for text in CORRECTIONS:
        for typed in typings(text) if text == grouped else [text]:
            assert stack.customer().say(typed)

    # 2. they appear in the inbox, near-duplicates grouped, most frequent first
    groups, found = wait_for_inbox(author, list(CORRECTIONS))
    assert all(found.values()), [g["variants"] for g in groups]
    assert found[grouped]["count"] == 3
    assert set(found[grouped]["variants"]) == set(typings(grouped))
    assert groups[0] is found[grouped]
    assert all(found[t]["count"] == 1 for t in CORRECTIONS if t != grouped)

    # 3. the author corrects them (the text is taken from the customer's message, server side)
    files = {file for _, file in CORRECTIONS.values()}
    lines_before = {file: (project / file).read_text().splitlines() for file in files}
    for text, (intent, file) in CORRECTIONS.items():
        resp = author.call("POST", "/api/staff/nlu/examples", json={"intent": intent,
                                                                     "message_ids": found[text]["message_ids"]})
        assert resp.status_code == 201, resp.text
        assert (resp.json()["file"], resp.json()["example"]) == (file, text)
    first_intent, first_file = CORRECTIONS[grouped]
    again = author.call("POST", "/api/staff/nlu/examples", json={"intent": first_intent, "text": grouped})
    assert again.status_code == 409 and again.json()["file"] == first_file
    assert author.call("POST", "/api/staff/nlu/examples", json={"intent": "no_such", "text": "아무말"}).status_code == 400
    groups_after = author.call("GET", "/api/staff/nlu/inbox").json()["groups"]
    assert not any(t in g["variants"] for g in groups_after for t in CORRECTIONS)

    # 4. the examples are in the right YAML file of the copy, under the right intent, nothing else changed
    for text, (intent, file) in CORRECTIONS.items():
        blocks = yaml.safe_load((project / file).read_text())["nlu"]
        block = next(b for b in blocks if b.get("intent") == intent)
        assert f"- {text}" in block["examples"].splitlines()
    for file in files:
        added = [t for t, (_, f) in CORRECTIONS.items() if f == file]
        after = (project / file).read_text().splitlines()
        assert sorted(set(after) - set(lines_before[file])) == sorted(f"    - {t}" for t in added)
        assert len(after) == len(lines_before[file]) + len(added)
    root = Path(__file__).resolve().parents[2]
    for text, (_, file) in CORRECTIONS.items():  # the repo's own data is untouched
        assert f"- {text}\n" not in (root / file).read_text()

    # 5. retrain + evaluate (validation first), then swap while a customer keeps chatting
    began = time.time()
    job_id = author.call("POST", "/api/staff/model/train").json()["job_id"]
    seen_progress = set()
    while True:
        job = author.call("GET", f"/api/staff/model/jobs/{job_id}").json()
        seen_progress.add(job["progress"])
        if job["state"] in ("done", "failed") or time.time() - began > TRAIN_TIMEOUT:
            break
        time.sleep(3)
    assert job["state"] == "done", job
    assert job["errors"] == []  # rasa data validate passed on the corrected copy
    assert len(seen_progress) >= 4 and job["progress"] == 100
    evaluation = job["evaluation"]
    assert evaluation["has_serving"] and evaluation["stories"]["candidate"]["total"] >= 15
    assert {r["intent"] for r in evaluation["intents"]} >= {"cancel_order", "check_order_status"}
    print(f"\nstudio: train {job['train_seconds']} s + evaluate {job['evaluate_seconds']} s "
          f"(console elapsed {job['elapsed_seconds']} s)")

    models_dir = project / "models"
    TRAINED.update(candidate=models_dir / job["model"], models_dir=models_dir,  # for the browser test
                   corrections=[(t, i) for t, (i, _) in CORRECTIONS.items()])

    chatter = ScriptedCustomer(stack)
    chatter.start()
    time.sleep(3)
    swap = author.call("POST", "/api/staff/model/activate", json={"model": job["model"]})
    time.sleep(3)
    chatter.stop.set()
    chatter.join(timeout=180)
    assert swap.status_code == 200, swap.text
    print(f"studio: swap {swap.json()['seconds']} s; the customer sent {len(chatter.sent)} messages meanwhile")
    assert chatter.failures == []
    history = chatter.customer.history()
    customer_texts = [m["text"] for m in history if m["sender"] == "customer"]
    bot_messages = [m for m in history if m["sender"] == "bot"]
    assert customer_texts == chatter.sent  # none lost, none doubled
    assert len(bot_messages) == chatter.replies  # each reply stored once
    assert len(chatter.sent) >= 3

    # 6. the corrected messages are now classified right
    assert {t: parse(stack, t)[0] for t in CORRECTIONS} == {t: i for t, (i, _) in CORRECTIONS.items()}
    models = author.call("GET", "/api/staff/model/models").json()
    assert next(m for m in models["models"] if m["serving"])["model"] == job["model"]
    assert models["previous"] == "modu.tar.gz"

    # 7. rollback restores the old behaviour
    back = author.call("POST", "/api/staff/model/rollback")
    assert back.status_code == 200 and back.json()["model"] == "modu.tar.gz"
    assert {t: parse(stack, t)[0] for t in CORRECTIONS} == before
