"""The analytics dashboard in Chromium: an agent opens it from the console, changes the date range
and sees cards and charts follow; a seller gets the scoped view; a customer rates a conversation
in the widget at its end. Screenshots in tests/artifacts/analytics-*.png."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_handoff_browser import wait_text

pytestmark = [pytest.mark.stack, pytest.mark.browser]

READY_FOR = "document.body.dataset.state === 'ready' && document.body.dataset.range === {range!r}"
CHART_POINTS = "(id) => Chart.getChart(id).data.labels.length"
CHART_SUM = "(id) => Chart.getChart(id).data.datasets[0].data.reduce((a, b) => a + (b || 0), 0)"


def login(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/console")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    page.wait_for_selector("#app-view:not([hidden])")


def card(page, metric: str) -> str:
    return page.locator(f'.card[data-metric="{metric}"] .card-value').inner_text()


def range_of(page) -> str:
    return page.evaluate("`${document.querySelector('#range-from').value}..${document.querySelector('#range-to').value}`")


def test_an_agent_changes_the_date_range_and_the_charts_follow(stack, desktop):
    page = desktop.new_page()
    login(page, stack.base_url, "agent1", "agent1234")
    page.click("#analytics-link")
    page.wait_for_selector("#dashboard:not([hidden])")
    page.wait_for_function(READY_FOR.format(range=range_of(page)), timeout=30000)
    assert page.evaluate(CHART_POINTS, "chart-days") == 28
    month_total = int(card(page, "conversations").replace(",", ""))
    assert month_total > 300, "three weeks of demo history"
    assert page.evaluate(CHART_SUM, "chart-hours") == month_total
    assert card(page, "containment").endswith("%") and card(page, "csat").endswith("%")
    # One row per agent who handled tickets in the range, as the API counts them (earlier tests in
    # the session may have added the help-desk hook's account to the demo's two agents).
    first, last = range_of(page).split("..")
    api = stack.staff("agent1", "agent1234").call("GET", "/api/staff/analytics",
                                                  params={"from": first, "to": last}).json()
    assert len(api["agents"]) >= 2
    assert page.locator('.dash-table[data-table="agents"] tbody tr').count() == len(api["agents"])
    page.screenshot(path=str(ARTIFACTS / "analytics-28-days.png"), full_page=True)

    page.click('[data-days="7"]')
    page.wait_for_function(READY_FOR.format(range=range_of(page)), timeout=30000)
    assert page.evaluate(CHART_POINTS, "chart-days") == 7
    week_total = int(card(page, "conversations").replace(",", ""))
    assert 0 < week_total < month_total
    assert page.evaluate(CHART_SUM, "chart-hours") == week_total

    page.fill("#range-from", page.evaluate("document.querySelector('#range-to').value")[:8] + "01")
    first_of_month = range_of(page)
    page.click("#range-form button[type=submit]")
    page.wait_for_function(READY_FOR.format(range=first_of_month), timeout=30000)
    days = page.evaluate(CHART_POINTS, "chart-days")
    assert days == int(first_of_month[-2:]), "from the 1st to today"
    page.screenshot(path=str(ARTIFACTS / "analytics-this-month.png"), full_page=True)

    with page.expect_download() as download:
        page.locator('.dash-table[data-table="sellers"] button').click()
    csv = download.value.path().read_text(encoding="utf-8-sig")
    assert csv.splitlines()[0] == "판매자 ID,판매자,문의,기한 도래,답변,24시간 내 답변,24시간 내 답변율,답변 시간 중앙값(초),상담원 이관"


def test_a_seller_sees_its_own_store_only(stack, desktop):
    page = desktop.new_page()
    login(page, stack.base_url, "seller1", "seller1234")
    page.goto(stack.base_url + "/console/analytics")
    page.wait_for_selector("#dashboard:not([hidden])")
    page.wait_for_function(READY_FOR.format(range=range_of(page)), timeout=30000)
    assert page.locator("#page-title").inner_text() == "우리 상점 통계"
    assert page.locator('.dash-table[data-table="agents"]').count() == 0
    rows = page.locator('.dash-table[data-table="sellers"] tbody tr')
    assert rows.count() == 1 and rows.first.locator("td").first.inner_text() == "포근니트"
    assert card(page, "within_24h").endswith("%")
    page.screenshot(path=str(ARTIFACTS / "analytics-seller.png"), full_page=True)


def test_the_widget_asks_for_a_rating_at_the_end_only(stack, phone):
    page = phone.new_page()
    page.goto(stack.base_url + "/")
    page.click("#chat-launcher")
    page.fill("#chat-input", "배송비 얼마예요?")
    page.click("#chat-send")
    wait_text(page, ".msg .msg-text", "무료배송")
    page.wait_for_timeout(2000)
    assert page.locator(".csat-card").count() == 0, "not after an answer in the middle"
    page.fill("#chat-input", "고마워요")
    page.click("#chat-send")
    page.wait_for_selector(".csat-card", timeout=10000)
    page.click('.csat-star[data-score="4"]')
    page.fill(".csat-comment", "빠르게 알려줘서 좋았어요")
    page.screenshot(path=str(ARTIFACTS / "analytics-widget-rating.png"))
    page.click(".csat-submit")
    wait_text(page, ".csat-card", "평가해 주셔서 감사해요!")
    page.screenshot(path=str(ARTIFACTS / "analytics-widget-rated.png"))
