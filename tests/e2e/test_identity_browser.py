"""The shop page in headless Chromium in both modes: the demo bar only in demo mode, and in
production the shop's signed token in the page identifies the customer (README, "Identifying
the shop's customers")."""
from __future__ import annotations

import time

import pytest

from bot.gateway.identity import sign
from bot.shop.models import Status
from tests.e2e.conftest import ARTIFACTS
from tests.fixtures import find_orders
from tests.production import IDENTITY_SECRET, production_gateway

pytestmark = [pytest.mark.stack, pytest.mark.browser]

MESSAGE_WITH = "[...document.querySelectorAll('{sel}')].some(e => e.textContent.includes({text!r}))"


@pytest.fixture(scope="module")
def shop(stack):
    with production_gateway(stack) as base_url:
        yield base_url


def shop_page_with(page, base_url: str, token: str) -> None:
    """Serve the shop page as the shop's backend would render it: with the signed token in a meta tag."""
    from bot.config import Settings

    html = (Settings().static_dir / "shop.html").read_text()
    html = html.replace("<head>", f'<head>\n  <meta name="modu-chat-identity" content="{token}">', 1)
    page.route(base_url + "/", lambda route: route.fulfill(status=200, content_type="text/html", body=html))


def ask(page, text: str) -> None:
    page.fill("#chat-input", text)
    page.click("#chat-send")


def test_the_demo_bar_shows_in_demo_mode_only(stack, shop, desktop):
    demo = desktop.new_page()
    demo.goto(stack.base_url + "/")
    demo.wait_for_selector("#demo-bar", state="visible")
    demo.wait_for_function("document.querySelectorAll('#login-select option').length > 1")

    production = desktop.new_page()
    production.goto(shop + "/")
    production.wait_for_function("document.querySelector('#chat-status').textContent.length > 0")
    production.click("#chat-launcher")
    production.wait_for_selector("#chat-hint", state="visible")
    assert production.locator("#demo-bar").is_hidden()
    production.screenshot(path=str(ARTIFACTS / "identity-production-guest.png"))


def test_the_shop_s_signed_token_identifies_the_customer_in_the_widget(stack, shop, phone):
    from bot.db import session_scope

    with session_scope(stack.database_url) as s:
        order = next(o for o in find_orders(s, status=Status.SHIPPED, guest=False)
                     if o.shipment and o.shipment.tracking_number)
        order_id, customer_id, tracking = order.id, order.customer_id, order.shipment.tracking_number
    page = phone.new_page()
    shop_page_with(page, shop, sign(IDENTITY_SECRET, customer_id, int(time.time()) + 600))
    page.goto(shop + "/")
    page.click("#chat-launcher")
    page.wait_for_selector("#chat-hint", state="visible")  # the identified conversation is loaded
    ask(page, f"{order_id} 배송조회요")
    page.wait_for_function(MESSAGE_WITH.format(sel=".msg[data-sender=bot] .msg-text", text=tracking), timeout=30000)
    assert page.locator("#demo-bar").is_hidden()
    page.screenshot(path=str(ARTIFACTS / "identity-production-customer.png"))


def test_a_forged_token_leaves_a_guest_with_a_korean_notice(stack, shop, phone):
    page = phone.new_page()
    shop_page_with(page, shop, sign("not the shop's secret", 1, int(time.time()) + 600))
    page.goto(shop + "/")
    page.click("#chat-launcher")
    page.wait_for_function("document.querySelector('#chat-notice').textContent.includes('회원 정보를 확인할 수 없어요')")
    me = page.evaluate("fetch('/api/me').then(r => r.json())")
    assert me["customer"] is None
