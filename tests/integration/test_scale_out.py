"""Past one machine: two Rasa instances behind the gateway, sharing the SQL tracker store
(PostgreSQL) and the Redis lock store. Runs in the PostgreSQL pass of `make test`."""
from __future__ import annotations

import os

import pytest
import redis
import requests

from bot.db import session_scope
from bot.shop.models import Status
from tests.databases import Databases
from tests.fixtures import find_orders
from tests.stack import text_of

pytestmark = pytest.mark.stack
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("scale-out needs PostgreSQL: it runs in the PostgreSQL pass (TEST_DATABASE_URL)")
    from bot.stack import stop_stack
    from tests.stack import start

    redis.Redis.from_url(REDIS_URL).flushdb()
    tmp = tmp_path_factory.mktemp("scaled")
    dbs = Databases(tmp)
    shop, trackers = dbs.create(), dbs.create()
    running, procs = start(tmp, shop, rasa_instances=2, TRACKER_STORE_URL=trackers, REDIS_URL=REDIS_URL)
    try:
        yield running
    finally:
        stop_stack(procs)
        dbs.drop_all()


def test_a_conversation_continues_across_two_rasa_instances(scaled):
    with session_scope(scaled.database_url) as s:
        order = find_orders(s, guest=True, status=Status.SHIPPED)[0]
        order_id, digits, tracking = order.id, order.orderer_phone[-4:], order.shipment.tracking_number
    guest = scaled.customer()
    # The gateway sends turns to the instances in turn (tests/unit/test_rasa_client.py), so
    # consecutive turns of this conversation are answered by different instances.
    assert "주문번호" in text_of(guest.say("비회원 배송조회요"))
    assert "뒷자리" in text_of(guest.say(f"{order_id}이요"))       # the other instance: it knows the task
    assert tracking in text_of(guest.say(digits))                  # and the order number given before
    assert "바로 취소" not in text_of(guest.say("감사합니다"))

    # The same turns sent to the instances directly, alternating: each continues what the other began.
    first, second = scaled.rasa_urls

    def say(url: str, text: str) -> str:
        return text_of(requests.post(f"{url}/webhooks/rest/webhook", timeout=60, json={
            "sender": "scale-out-direct", "message": text, "metadata": {"guest": True}}).json())

    assert "주문번호" in say(first, "비회원 배송조회요")
    assert "뒷자리" in say(second, f"{order_id}이요")
    assert tracking in say(first, digits)

    trackers = [requests.get(f"{url}/conversations/{guest.conversation_id}/tracker",
                             params={"token": scaled.rasa_token}).json() for url in scaled.rasa_urls]
    assert trackers[0]["events"] == trackers[1]["events"], "one conversation, one shared tracker"
    assert trackers[0]["slots"]["verified_order"] == order_id
