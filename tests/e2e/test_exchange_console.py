"""The seller decides an exchange in the console: the 승인 button is there, and clicking it approves the claim."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import session_scope
from bot.handoff.desk import DECISIONS
from bot.handoff.models import StaffUser
from bot.shop.models import Claim, Order, Status
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_handoff_browser import wait_text
from tests.fixtures import find_orders
from tests.stack import text_of

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def test_seller_approves_an_exchange_in_the_console(stack, desktop):
    with session_scope(stack.database_url) as s:
        speaker = next(o for o in find_orders(s, customer_id=2, status=Status.DELIVERED)
                       if o.items[0].product_name.startswith("휴대용 블루투스 스피커"))
        order_id = speaker.id
        username = s.execute(select(StaffUser.username).where(StaffUser.seller_id == speaker.seller_id)).scalar_one()
    customer = stack.customer(2)
    assert "교환할 수 있어요" in text_of(customer.say(f"{order_id} 교환하고 싶어요"))
    assert "판매자에게 교환을 요청했어요" in text_of(customer.say("응"))

    seller = desktop.new_page()
    seller.goto(stack.base_url + "/console")
    seller.fill("#login-username", username)
    seller.fill("#login-password", "seller1234")
    seller.click("#login-submit")
    row = seller.locator(".ticket-row", has_text="이준호").filter(has_text="교환").first
    row.wait_for(timeout=20000)
    row.click()
    # A seller sees the ticket's window only: from the customer's 「응」 that opened it (the request
    # itself reaches them as the claim in the context panel).
    wait_text(seller, "#transcript .msg", "응")
    approve = seller.locator("#approve")
    approve.wait_for(state="visible", timeout=10000)
    assert seller.locator("#reject").is_visible()
    approve.click()
    wait_text(seller, "#transcript .msg", DECISIONS[("exchange", True)])
    seller.screenshot(path=str(ARTIFACTS / "exchange-seller-approved.png"))
    with session_scope(stack.database_url) as s:
        claims = s.execute(select(Claim).where(Claim.order_id == order_id)).scalars().all()
        assert [(c.kind, c.status) for c in claims] == [("exchange", "approved")]
        assert s.get(Order, order_id).status == "EXCHANGE_REQUESTED"
    assert customer.history()[-1]["text"] == DECISIONS[("exchange", True)]
