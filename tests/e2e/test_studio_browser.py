"""The studio in Chromium: an author opens it from the console, reviews a conversation, corrects
the inbox's messages, retrains + evaluates, activates the new model and rolls it back.
Screenshots in tests/artifacts/studio-*.png.

Training takes minutes: when tests/integration/test_studio.py ran earlier in the same session,
its candidate (trained from exactly the data this test produces: the same corrections, which it
chose at run time, in the same order) is linked into this stack's models dir, and the studio reuses it by its data
fingerprint (and its cached evaluation): the page still walks validate -> train -> evaluate.
Run alone, this test trains for real.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.stack import TRAINED
from tests.studio_messages import file_of, parse, wrong_ones

pytestmark = [pytest.mark.stack, pytest.mark.browser]



def link(source: Path, target: Path) -> None:
    if source.exists() and not target.exists():
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)


def reuse_earlier_candidate(stack) -> bool:
    if "candidate" not in TRAINED:
        return False
    models = Path(stack.supervisor.child("gateway").env["STUDIO_MODELS_DIR"])
    (models / "candidates").mkdir(exist_ok=True)
    candidate = TRAINED["candidate"]
    for suffix in ("", ".fingerprint", ".eval.json"):
        link(candidate.with_name(candidate.name + suffix), models / "candidates" / (candidate.name + suffix))
    link(TRAINED["models_dir"] / "modu.tar.gz.eval.json", models / "modu.tar.gz.eval.json")
    return True


def until(page, click: str, selector: str, tries: int = 30) -> None:
    """Click (a refresh) until the selector shows: events reach the analytics store a moment later."""
    for _ in range(tries):
        page.click(click)
        try:
            page.wait_for_selector(selector, timeout=2000)
            return
        except Exception:
            continue
    page.wait_for_selector(selector, timeout=1000)


def author_logs_in(page, base_url: str) -> None:
    """An author logs in at the console like everyone else; the desk is not theirs, so the
    console sends them on to the studio."""
    page.goto(base_url + "/console")
    page.fill("#login-username", "author1")
    page.fill("#login-password", "author1234")
    page.click("#login-submit")
    page.wait_for_url(base_url + "/console/studio", timeout=30000)
    page.wait_for_selector("body[data-state=ready]")


def test_inbox_retrain_activate_and_roll_back(stack, desktop):
    reused = reuse_earlier_candidate(stack)
    CORRECTIONS = TRAINED.get("corrections") or [(t, i) for t, (i, _) in wrong_ones(stack)[0].items()]
    customer = stack.customer(1)
    customer.say("제 전화번호는 010-9876-5432예요. 주문 물리고 싶어요")
    for text, _ in CORRECTIONS:
        stack.customer().say(text)
    predicted = {text: parse(stack, text)[0] for text, _ in CORRECTIONS}
    before = dict(predicted)
    assert all(before[text] != intent for text, intent in CORRECTIONS)
    fallen = next((text for text, _ in CORRECTIONS if predicted[text] == "nlu_fallback"), None)

    page = desktop.new_page()
    author_logs_in(page, stack.base_url)
    until(page, "#review-form button[type=submit]", "#review-list tbody tr:has-text('[전화번호]')")
    page.locator("#review-list tbody tr", has_text="[전화번호]").first.click()
    page.wait_for_selector("#transcript:not([hidden]) #transcript-messages li:has-text('[전화번호]') .nlu")
    shown = page.inner_text("#transcript-messages") + page.inner_text("#review-list")
    assert "9876" not in shown and "5432" not in shown and "[전화번호 뒷자리]" in shown
    page.click("#transcript-reviewed")
    page.wait_for_selector("#transcript-title:has-text('검토 완료')")
    if fallen:  # a message the fallback answered: the "had a fallback" filter finds it
        page.check("#review-form [name=fallback]")
    page.check("#review-form [name=unreviewed]")
    until(page, "#review-form button[type=submit]", f"#review-list tbody tr:has-text('{fallen or CORRECTIONS[-1][0]}')")
    page.screenshot(path=str(ARTIFACTS / "studio-review.png"))

    until(page, "#tab-inbox", f'.inbox-group[data-text="{CORRECTIONS[-1][0]}"]')
    for text, intent in CORRECTIONS:
        group = page.locator(f'.inbox-group[data-text="{text}"]')
        group.wait_for()
        group.locator("select.inbox-intent").select_option(intent)
        group.locator(".inbox-correct").click()
        page.wait_for_selector(f'.inbox-group[data-text="{text}"][data-done=added]')
        assert file_of(intent) in page.inner_text("#inbox-status")
    page.wait_for_selector(f"#changes tbody tr:nth-child({len(CORRECTIONS)})")
    page.screenshot(path=str(ARTIFACTS / "studio-inbox.png"), full_page=True)

    page.click("#tab-model")
    page.click("#train-start")
    page.wait_for_selector("body[data-job=done]", timeout=(60 if reused else 1800) * 1000)
    assert page.locator("#train-errors li").count() == 0
    assert page.locator(f"#eval-table tbody tr[data-intent={CORRECTIONS[0][1]}]").count() == 1
    assert "성공한 대화 테스트" in page.inner_text("#eval-stories")
    page.screenshot(path=str(ARTIFACTS / "studio-evaluation.png"), full_page=True)

    try:
        page.locator("#models tbody tr", has_text="candidates/").first.locator("button.activate").click()
        page.wait_for_selector("body[data-swap=done]", timeout=300000)
        assert "적용 완료" in page.inner_text("#swap-status")
        page.screenshot(path=str(ARTIFACTS / "studio-activated.png"), full_page=True)
        assert {text: parse(stack, text)[0] for text, _ in CORRECTIONS} == dict(CORRECTIONS)
    finally:
        page.evaluate("document.body.dataset.swap = ''")
        page.click("#rollback")
        page.wait_for_selector("body[data-swap=done]", timeout=300000)
    assert "modu.tar.gz 적용 완료" in page.inner_text("#swap-status")
    assert {text: parse(stack, text)[0] for text, _ in CORRECTIONS} == before
    page.screenshot(path=str(ARTIFACTS / "studio-rolled-back.png"), full_page=True)
