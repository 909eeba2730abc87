"""A customer in headless Chromium: opens the chat on the shop page, chats in Korean, reloads."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def bot_texts(page):
    return page.locator('.msg[data-sender="bot"] .msg-text').all_inner_texts()


def test_customer_chats_on_a_phone_and_the_history_survives_a_reload(stack, phone):
    page = phone.new_page()
    page.goto(stack.base_url + "/")
    page.select_option("#login-select", "1")
    page.wait_for_function("document.querySelector('#login-status') && "
                           "document.querySelector('#login-status').textContent.includes('김민지')")
    page.click("#chat-launcher")
    page.fill("#chat-input", "주문한 거 언제 와요?")
    page.click("#chat-send")
    page.wait_for_selector('.msg[data-sender="bot"] .msg-buttons button')
    assert "어떤 주문인가요" in " ".join(bot_texts(page))
    buttons = page.locator(".msg-buttons button")
    assert buttons.count() >= 2
    page.screenshot(path=str(ARTIFACTS / "widget-phone-buttons.png"))
    shipped = page.locator(".msg-buttons button", has_text="배송중").first
    shipped.click()
    page.wait_for_function("[...document.querySelectorAll('.msg[data-sender=bot] .msg-text')]"
                           ".some(e => e.textContent.includes('송장번호'))")
    page.screenshot(path=str(ARTIFACTS / "widget-phone-answer.png"))
    before = page.locator(".msg[data-id]").count()

    page.reload()
    page.wait_for_function(f"document.querySelectorAll('.msg[data-id]').length >= {before}")
    if not page.locator("#chat-panel").is_visible():
        page.click("#chat-launcher")
    texts = page.locator(".msg[data-id] .msg-text").all_inner_texts()
    assert "주문한 거 언제 와요?" in texts
    assert any("송장번호" in t for t in texts)
    assert page.locator(".msg[data-id]").count() == before, "history restored once, nothing doubled"
    page.screenshot(path=str(ARTIFACTS / "widget-phone-reloaded.png"))


def test_customer_html_is_shown_as_text(stack, desktop):
    page = desktop.new_page()
    page.goto(stack.base_url + "/")
    page.click("#chat-launcher")
    page.fill("#chat-input", "<img src=x onerror=\"document.title='pwned'\"><b>굵게</b>")
    page.click("#chat-send")
    page.wait_for_selector('.msg[data-sender="bot"]')
    assert page.locator('.msg[data-sender="customer"] .msg-text').first.inner_text().startswith("<img")
    assert page.locator(".msg-text b").count() == 0 and page.locator(".msg-text img").count() == 0
    assert page.title() != "pwned"
    page.screenshot(path=str(ARTIFACTS / "widget-desktop-html-as-text.png"))
