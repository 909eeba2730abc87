"""Who may use the studio, on the real stack: authors read and write, agents read but cannot
write, sellers see nothing, and nobody outside the staff (customers, no token) sees anything.
A refused write leaves the studio's copy of data/ as it was."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.stack

READS = ["/api/staff/review/conversations?filter=fallback", "/api/staff/review/conversations/nobody",
         "/api/staff/nlu/inbox", "/api/staff/nlu/intents", "/api/staff/nlu/changes", "/api/staff/model/jobs",
         "/api/staff/model/jobs/nojob", "/api/staff/model/models"]
WRITES = [("/api/staff/nlu/examples", {"text": "주문 물리고 싶어요", "intent": "cancel_order"}),
          ("/api/staff/nlu/inbox/dismiss", {"message_ids": [1]}),
          ("/api/staff/review/conversations/nobody", {"reviewed": True}),
          ("/api/staff/nlu/changes/1/revert", {}),
          ("/api/staff/model/train", {}),
          ("/api/staff/model/activate", {"model": "modu.tar.gz"}),
          ("/api/staff/model/rollback", {})]


def orders_file(stack) -> Path:
    return Path(stack.supervisor.child("gateway").env["STUDIO_PROJECT_DIR"]) / "data" / "nlu" / "orders.yml"


def test_nobody_outside_the_staff_sees_anything(stack):
    customer = stack.customer(1)  # a signed-in customer's cookie is no staff token
    for path in READS:
        assert requests.get(stack.base_url + path).status_code == 401, path
        assert customer.http.get(stack.base_url + path).status_code == 401, path
        assert requests.get(stack.base_url + path, headers={"Authorization": "Bearer forged"}).status_code == 401
    for path, body in WRITES:
        assert customer.http.post(stack.base_url + path, json=body).status_code == 401, path


def test_sellers_see_nothing(stack):
    seller = stack.staff("seller1", "seller1234")
    for path in READS:
        resp = seller.call("GET", path)
        assert (resp.status_code, resp.json()["error"]) == (403, "스튜디오는 작성자와 상담원만 볼 수 있어요."), path
    for path, body in WRITES:
        assert seller.call("POST", path, json=body).status_code == 403, path


def test_agents_read_but_cannot_write(stack):
    before = orders_file(stack).read_text()
    agent = stack.staff("agent1", "agent1234")
    for path in READS[:1] + READS[2:6] + READS[7:]:
        assert agent.call("GET", path).status_code == 200, path
    assert agent.call("GET", READS[1]).status_code == 404
    assert "cancel_order" in agent.call("GET", "/api/staff/nlu/intents").json()["intents"]
    for path, body in WRITES:
        resp = agent.call("POST", path, json=body)
        assert (resp.status_code, resp.json()["error"]) == (403, "작성자(author) 계정만 할 수 있어요."), path
    assert orders_file(stack).read_text() == before
    assert agent.call("GET", "/api/staff/model/jobs").json() == {"jobs": []}


def test_authors_write(stack):
    author = stack.staff("author1", "author1234")
    assert author.user["role"] == "author"
    resp = author.call("POST", "/api/staff/nlu/examples", json={"text": "아무말", "intent": "no_such_intent"})
    assert (resp.status_code, resp.json()["error"]) == (400, "알 수 없는 인텐트예요: no_such_intent")
    resp = author.call("POST", "/api/staff/nlu/examples", json={"text": "택배 언제 와요?", "intent": "cancel_order"})
    assert resp.status_code == 409 and resp.json()["intent"] == "check_order_status"
    before = orders_file(stack).read_text()
    resp = author.call("POST", "/api/staff/nlu/examples", json={"text": "주문 좀 물러 주세요 010-9876-5432", "intent": "cancel_order"})
    assert resp.status_code == 201, resp.text
    assert (resp.json()["file"], resp.json()["example"]) == ("data/nlu/orders.yml", "주문 좀 물러 주세요 010-1234-5678")
    assert "    - 주문 좀 물러 주세요 010-1234-5678\n" in orders_file(stack).read_text()
    revert = author.call("POST", f"/api/staff/nlu/changes/{resp.json()['change_id']}/revert")
    assert revert.json() == {"change_id": resp.json()["change_id"], "removed_lines": 1}
    assert orders_file(stack).read_text() == before
    assert author.call("POST", "/api/staff/model/activate", json={"model": "../../etc/passwd.tar.gz"}).status_code == 400
    assert requests.get(stack.base_url + "/console/studio").status_code == 200
