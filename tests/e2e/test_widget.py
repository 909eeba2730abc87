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


def test_a_send_whose_answer_is_lost_is_sent_again_with_the_same_id_and_stored_once(stack, desktop):
    """The gateway handles the message but the answer never reaches the browser (as when the
    gateway dies or the network drops): the widget sends it again by itself, with the same id,
    and gets the stored answer; the conversation holds the message once."""
    import json
    import time

    from sqlalchemy import select

    from bot.conversation.models import Message
    from bot.db import session_scope

    page = desktop.new_page()
    bodies = []

    def lose_the_first_answer(route):
        bodies.append(json.loads(route.request.post_data))
        if len(bodies) == 1:
            route.fetch()  # the server gets it and answers...
            route.abort("connectionreset")  # ...but the browser never sees the answer
        else:
            route.continue_()

    page.route("**/api/conversation/messages", lambda route: lose_the_first_answer(route)
               if route.request.method == "POST" else route.continue_())
    page.goto(stack.base_url + "/")
    page.click("#chat-launcher")
    page.fill("#chat-input", "배송비 얼마예요?")
    page.click("#chat-send")
    page.wait_for_selector('.msg[data-sender="bot"]', timeout=30000)  # pushed over the websocket
    deadline = time.time() + 15
    while len(bodies) < 2 and time.time() < deadline:
        page.wait_for_timeout(200)
    assert len(bodies) == 2 and bodies[0]["client_id"] == bodies[1]["client_id"], "sent again, same id"
    assert len(bodies[0]["client_id"]) >= 8
    page.wait_for_timeout(1000)
    assert page.locator('.msg[data-sender="customer"]').count() == 1
    assert page.locator('.msg.is-failed').count() == 0
    with session_scope(stack.database_url) as s:
        rows = s.execute(select(Message).where(Message.client_id == bodies[0]["client_id"])).scalars().all()
        assert [(m.sender, m.text) for m in rows] == [("customer", "배송비 얼마예요?")]
        replies = s.execute(select(Message).where(Message.conversation_id == rows[0].conversation_id,
                                                  Message.sender == "bot")).scalars().all()
    assert len(replies) == 1, "answered once"
    assert bot_texts(page) == [replies[0].text]
