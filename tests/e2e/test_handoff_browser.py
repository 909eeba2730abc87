"""Two browsers: a customer on a phone and an agent at a desk, a full handoff round trip."""
from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.stack, pytest.mark.browser]

MESSAGE_WITH = "[...document.querySelectorAll('{sel}')].some(e => e.textContent.includes({text!r}))"


def wait_text(page, selector: str, text: str, timeout: float = 20000) -> None:
    page.wait_for_function(MESSAGE_WITH.format(sel=selector, text=text), timeout=timeout)


def test_customer_and_agent_round_trip(stack, phone, desktop):
    customer = phone.new_page()
    customer.goto(stack.base_url + "/")
    customer.select_option("#login-select", "6")
    customer.wait_for_function("document.querySelector('#login-status').textContent.includes('강태민')")
    customer.click("#chat-launcher")
    customer.fill("#chat-input", "상담원 연결해 주세요")
    customer.click("#chat-send")
    wait_text(customer, ".msg .msg-text", "상담원에게 연결")

    agent = desktop.new_page()
    agent.goto(stack.base_url + "/console")
    agent.fill("#login-username", "agent1")
    agent.fill("#login-password", "agent1234")
    agent.click("#login-submit")
    row = agent.locator(".ticket-row", has_text="강태민").first
    row.wait_for(timeout=20000)
    row.click()
    wait_text(agent, "#transcript .msg", "상담원 연결해 주세요")
    assert "강태민" in agent.locator("#context-panel").inner_text()
    agent.click("#claim")
    agent.fill("#reply-input", "안녕하세요, 상담원 김하늘입니다. 무엇을 도와드릴까요?")
    agent.click("#reply-send")

    started = time.monotonic()
    wait_text(customer, '.msg[data-sender="agent"] .msg-text', "상담원 김하늘입니다")
    agent_to_customer = time.monotonic() - started
    customer.fill("#chat-input", "<i>니트</i> 환불 <script>x</script> 문의요")
    customer.click("#chat-send")
    started = time.monotonic()
    wait_text(agent, '#transcript .msg[data-sender="customer"]', "<i>니트</i> 환불")
    customer_to_agent = time.monotonic() - started
    assert agent.locator("#transcript i").count() == 0 and agent.locator("#transcript script").count() == 0
    assert customer.locator('.msg[data-sender="bot"]').count() == 1, "the bot stayed silent"
    customer.screenshot(path=str(ARTIFACTS / "handoff-customer-with-agent.png"))
    agent.screenshot(path=str(ARTIFACTS / "handoff-agent-console.png"))

    agent.click("#handback")
    wait_text(customer, '.msg[data-sender="bot"] .msg-text', "상담이 종료되었어요")
    customer.screenshot(path=str(ARTIFACTS / "handoff-customer-handed-back.png"))
    print(f"browser to browser: agent->customer {agent_to_customer * 1000:.0f} ms, "
          f"customer->agent {customer_to_agent * 1000:.0f} ms")
