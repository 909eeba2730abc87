"""Timing of the analytics API and the dashboard page on a large seeded history (not part of
`make test`: it needs a database made first, see README "Analytics"):

    DATABASE_URL=sqlite:///var/load.db .venv/bin/python -m bot seed --history 100000 --days 90
    ANALYTICS_LOAD_DB=sqlite:///var/load.db .venv/bin/python -m pytest tests/e2e/test_dashboard_load.py -s

Only the gateway runs (the dashboard needs nothing else). The API must answer within 1 s and the
page must render (cards, charts and tables drawn) within 2 s, for 28 days and for the whole 90.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta

import pytest
import requests

from bot.clock import to_kst
from bot.db import ROOT, utcnow
from tests.e2e.conftest import ARTIFACTS
from tests.stack import free_port

LOAD_DB = os.environ.get("ANALYTICS_LOAD_DB")
pytestmark = [pytest.mark.browser, pytest.mark.skipif(not LOAD_DB, reason="set ANALYTICS_LOAD_DB to a database "
                                                      "seeded with `python -m bot seed --history 100000`")]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    from bot.stack import LOGS, spawn, stop_stack, wait_for

    port = free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DATABASE_URL=LOAD_DB, PYTHONPATH=str(ROOT),
               EVENT_BROKER_URL=f"sqlite:///{tmp_path_factory.mktemp('broker')}/rasa_events.db")
    proc = spawn("gateway", [sys.executable, "-m", "bot", "gateway", "--port", str(port)], env, LOGS / f"load-{port}.log")
    try:
        wait_for(f"http://127.0.0.1:{port}/health", proc, "gateway", 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_stack([proc])


def test_api_and_page_timing(gateway, desktop):
    login = requests.post(gateway + "/api/staff/login", json={"username": "agent1", "password": "agent1234"}).json()
    headers = {"Authorization": f"Bearer {login['token']}"}
    today = to_kst(utcnow()).date()
    page = desktop.new_page()
    page.goto(gateway + "/console")
    page.evaluate("([t, u]) => { sessionStorage.setItem('mm.staff.token', t); "
                  "sessionStorage.setItem('mm.staff.user', JSON.stringify(u)); }", [login["token"], login["user"]])
    for days in (28, 91):
        first = (today - timedelta(days=days - 1)).isoformat()
        params = {"from": first, "to": today.isoformat()}
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            resp = requests.get(gateway + "/api/staff/analytics", params=params, headers=headers)
            timings.append(time.perf_counter() - started)
            assert resp.status_code == 200
        conversations = resp.json()["conversations_started"]
        renders = []
        for _ in range(3):
            started = time.perf_counter()
            page.goto(f"{gateway}/console/analytics?from={first}&to={today.isoformat()}")
            page.wait_for_function("document.body.dataset.state === 'ready'", timeout=20000)
            renders.append(time.perf_counter() - started)
        page.screenshot(path=str(ARTIFACTS / f"analytics-load-{days}-days.png"), full_page=True)
        api_median, page_median = statistics.median(timings), statistics.median(renders)
        print(f"\n{days} days, {conversations:,} conversations: API median {api_median * 1000:.0f} ms "
              f"(max {max(timings) * 1000:.0f}), page load to charts drawn median {page_median * 1000:.0f} ms "
              f"(max {max(renders) * 1000:.0f})")
        assert api_median < 1.0 and page_median < 2.0
