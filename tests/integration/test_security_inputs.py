"""Trust boundaries on the real stack (issue 6, section 3): inputs that gave a 500, CSRF through
the content type and form posts, and websockets opened from other sites.

Every refused request must be a 4xx with a Korean message and change nothing. Each test prints
what it tried: requests, 5xx seen (always 0), and what leaked or changed (always 0).
"""
from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any, Dict, List, Optional, Tuple

import pytest
import requests
import websockets
from sqlalchemy import func, select

from bot.conversation.models import Conversation, Message
from bot.db import session_scope
from bot.handoff.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.stack import WEBHOOK_SECRET

pytestmark = pytest.mark.stack

HUGE = 10 ** 20
BIG_AFTER = "9223372036854775808"  # 2**63: one past SQLite's integer
DEEP = "[" * 30_000 + "]" * 30_000
HANGUL = re.compile("[가-힣]")

BAD_TEXT = "읽을 수 없는 문자가 들어 있어요. 내용을 확인해 주세요."
BAD_JSON = "요청 형식이 올바르지 않아요."
BAD_NUMBER = "요청한 번호가 올바르지 않아요."
NOT_FOUND = "요청한 항목을 찾을 수 없어요."
NOT_JSON = "JSON으로 보내 주세요."
NO_ROUTE = "요청한 주소를 찾을 수 없어요."  # a path id too long to be a number matches no route


class Probe:
    """Sends requests and keeps the count of what was tried and what came back as 5xx."""

    def __init__(self, stack) -> None:
        self.base = stack.base_url
        self.tried = 0
        self.server_errors: List[Tuple[str, str, int]] = []

    def send(self, method: str, path: str, *, raw: Optional[str | bytes] = None, json_body: Any = None,
             content_type: str = "application/json", session: Optional[requests.Session] = None,
             headers: Optional[Dict[str, str]] = None, **kwargs) -> requests.Response:
        headers = dict(headers or {})
        data = None
        if json_body is not None:
            raw = json.dumps(json_body)
        if raw is not None:
            data = raw.encode() if isinstance(raw, str) else raw
            headers.setdefault("Content-Type", content_type)
        resp = (session or requests).request(method, self.base + path, data=data, headers=headers,
                                             timeout=60, **kwargs)
        self.tried += 1
        if resp.status_code >= 500:
            self.server_errors.append((method, path, resp.status_code))
        return resp

    def report(self, label: str, **extra: int) -> None:
        more = "".join(f", {key.replace('_', ' ')}: {value}" for key, value in extra.items())
        print(f"{label}: requests tried: {self.tried}, 5xx seen: {len(self.server_errors)}{more}")


def korean_error(resp: requests.Response) -> str:
    text = resp.json()["error"]
    assert HANGUL.search(text), text
    return text


def signed(body: bytes) -> Dict[str, str]:
    timestamp = str(int(time.time()))
    return {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(WEBHOOK_SECRET, timestamp, body)}


def message_count(stack, conversation_id: str) -> int:
    with session_scope(stack.database_url) as s:
        return s.execute(select(func.count()).select_from(Message)
                         .where(Message.conversation_id == conversation_id)).scalar_one()


def ws_url(stack, path: str) -> str:
    return stack.base_url.replace("http://", "ws://") + path


def cookie_header(customer) -> Dict[str, str]:
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in customer.http.cookies)}


def test_inputs_that_gave_a_500_are_a_4xx_with_a_korean_message(stack):
    """The five inputs of the issue, each where it used to crash the gateway."""
    probe = Probe(stack)
    guest = stack.customer()
    conversation_id = guest.conversation_id
    agent = stack.staff("agent1", "agent1234")
    bearer = {"Authorization": f"Bearer {agent.token}"}
    expected = [
        (probe.send("POST", "/api/conversation/messages", raw='{"text": "\\ud800"}', session=guest.http),
         400, BAD_TEXT),
        (probe.send("POST", "/api/conversation/messages", raw='{"text": "배송 \\udc00 언제"}', session=guest.http),
         400, BAD_TEXT),
        (probe.send("POST", "/api/staff/login", raw='{"username": "\\ud800", "password": "x"}'), 400, BAD_TEXT),
        (probe.send("POST", "/api/conversation/messages", raw='{"text": ' + DEEP + "}", session=guest.http),
         400, BAD_JSON),
        (probe.send("POST", "/api/staff/login", raw=DEEP), 400, BAD_JSON),
        (probe.send("POST", "/api/login", raw='{"customer_id": ' + DEEP + "}", session=guest.http), 400, BAD_JSON),
        (probe.send("GET", f"/api/conversation/messages?after={BIG_AFTER}", session=guest.http), 400, BAD_NUMBER),
        (probe.send("POST", "/api/login", json_body={"customer_id": HUGE}, session=guest.http),
         400, "고객을 선택해 주세요."),
        (probe.send("POST", "/api/login", json_body={"customer_id": True}, session=guest.http),
         400, "고객을 선택해 주세요."),
        (probe.send("GET", f"/api/staff/tickets/{HUGE}", headers=bearer), 404, NOT_FOUND),
        (probe.send("POST", f"/api/staff/tickets/{HUGE}/claim", headers=bearer), 404, NOT_FOUND),
        (probe.send("POST", f"/api/staff/tickets/{HUGE}/reply", json_body={"text": "x"}, headers=bearer),
         404, NOT_FOUND),
        (probe.send("POST", f"/api/hook/tickets/{HUGE}/reply", raw=b'{"text": "x"}', headers=signed(b'{"text": "x"}')),
         404, NOT_FOUND),
    ]
    probe.report("inputs that gave a 500")
    assert [(resp.status_code, korean_error(resp)) for resp, _, _ in expected] == \
        [(status, text) for _, status, text in expected]
    # `true` did not log in as customer 1, and nothing was stored from the refused messages
    me = guest.http.get(stack.base_url + "/api/me").json()
    assert (me["customer"], me["conversation_id"]) == (None, conversation_id)
    assert message_count(stack, conversation_id) == 0
    assert probe.server_errors == []


def test_a_websocket_after_beyond_the_database_range_is_closed_with_a_code(stack):
    guest = stack.customer()

    async def connect() -> Tuple[int, str]:
        async with websockets.connect(ws_url(stack, f"/ws/conversation?after={BIG_AFTER}"),
                                      extra_headers=cookie_header(guest)) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), timeout=10)
            return ws.close_code, ws.close_reason

    assert asyncio.run(connect()) == (4400, "bad after")
    print("websocket after=2**63: tried 1, 5xx seen: 0, closed with 4400")


def sweep_bodies() -> List[Tuple[str, str | bytes, str]]:
    """(label, raw body, content type) of every class of bad input, for every JSON route."""
    fields = ["text", "payload", "customer_id", "token", "username", "password", "approve", "author"]
    bodies: List[Tuple[str, str | bytes, str]] = []
    for field in fields:
        for label, value in [("surrogate", '"\\ud800"'), ("surrogate pair half", '"a\\udfffb"'), ("nul", '"a\\u0000"'),
                             ("huge int", str(HUGE)), ("2**63", BIG_AFTER), ("negative", "-1"), ("true", "true"),
                             ("float", "1.5"), ("nan", "NaN"), ("inf", "1e999"), ("array", "[1]"),
                             ("object", '{"a": 1}'), ("null", "null"), ("deep", DEEP)]:
            bodies.append((f"{field}={label}", "{" + f'"{field}": {value}' + "}", "application/json"))
    bodies += [
        ("deep object", '{"a":' * 20_000 + "1" + "}" * 20_000, "application/json"),
        ("array", "[1, 2]", "application/json"), ("string", '"text"', "application/json"),
        ("duplicate keys", '{"text": "a", "text": "b"}', "application/json"),
        ("not utf-8", b'{"text": "\xff\xfe"}', "application/json"),
        ("utf-16", '{"text": "a"}'.encode("utf-16"), "application/json"),
        ("truncated", '{"text": ', "application/json"),
        ("too large", '{"text": "' + "가" * 30_000 + '"}', "application/json"),
        ("form", "text=hi&customer_id=1", "application/x-www-form-urlencoded"),
        ("text/plain", '{"text": "hi"}', "text/plain; charset=application/json"),
    ]
    return bodies


def test_every_route_takes_every_class_of_bad_input_without_a_500(stack):
    """The sweep: every route, every class (strings, numbers, depth, size, encoding, media type),
    in the body, the query, the path, the cookie and the authorization header."""
    probe = Probe(stack)
    guest = stack.customer()
    agent = stack.staff("agent1", "agent1234")
    bearer = {"Authorization": f"Bearer {agent.token}"}
    absent = 2 ** 31 - 1  # an id in range that names no ticket
    json_routes: List[Tuple[str, Dict[str, str], Optional[requests.Session]]] = [
        ("/api/login", {}, guest.http), ("/api/logout", {}, guest.http), ("/api/identify", {}, guest.http),
        ("/api/conversation/messages", {}, guest.http), ("/api/staff/login", {}, None),
    ] + [(f"/api/staff/tickets/{absent}/{action}", bearer, None)
         for action in ("claim", "reply", "note", "handback", "close", "decision")]
    statuses: Dict[int, int] = {}
    for path, headers, session in json_routes:
        for label, raw, content_type in sweep_bodies():
            resp = probe.send("POST", path, raw=raw, content_type=content_type, headers=headers, session=session)
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
            assert resp.status_code < 500, (path, label, resp.status_code)
            if resp.status_code >= 400:
                korean_error(resp)
    for label, raw, _ in sweep_bodies():  # the help desk's signed API: a valid signature, a bad body
        body = raw.encode() if isinstance(raw, str) else raw
        resp = probe.send("POST", f"/api/hook/tickets/{absent}/reply", raw=body, headers=signed(body))
        assert resp.status_code < 500 and resp.status_code >= 400, (label, resp.status_code)
    numbers = [BIG_AFTER, str(HUGE), "-1", "abc", "1e3", "１２", "", "0x10", "9" * 5000]
    for value in numbers:  # query arguments
        probe.send("GET", "/api/conversation/messages", params={"after": value}, session=guest.http)
        probe.send("GET", "/api/staff/tickets", params={"status": value}, headers=bearer)
    for value in [str(HUGE), BIG_AFTER, "-1", "0", "-" + str(HUGE), "9" * 5000]:  # ids in paths
        for suffix in ("", "/claim", "/reply", "/note", "/handback", "/close", "/decision"):
            method = "GET" if suffix == "" else "POST"
            resp = probe.send(method, f"/api/staff/tickets/{value}{suffix}", json_body={"text": "x", "approve": True},
                              headers=bearer)
            assert resp.status_code == 404 and korean_error(resp) in (NOT_FOUND, NO_ROUTE), (value, suffix)
        for suffix in ("/reply", "/handback", "/close"):
            probe.send("POST", f"/api/hook/tickets/{value}{suffix}", raw=b"{}", headers=signed(b"{}"))
    surrogate = "\ud800".encode("utf-8", "surrogatepass").decode("latin-1")  # its UTF-8-like bytes
    garbage = ["\xff\xfe", "\xff.\xfe", "a" * 4000, "x.y.z", "%ud800", surrogate, f"{surrogate}.{surrogate}"]
    for value in garbage:  # cookies, bearer tokens, origins, content types: sent as raw bytes
        for path in ("/api/me", "/api/conversation/messages"):
            probe.send("GET", path, headers={"Cookie": f"modu_chat={value}"})
        probe.send("GET", "/api/staff/me", headers={"Authorization": f"Bearer {value}"})
        probe.send("GET", "/api/staff/tickets", params={"status": value}, headers=bearer)
        probe.send("POST", "/api/conversation/messages", raw=b"{}", content_type=f"application/json; {value}",
                   session=guest.http)
        probe.send("GET", "/api/me", headers={"Origin": value})
    for path in ("/api/staff/tickets/%ff", "/api/staff/tickets/%ed%a0%80", "/%ff", "/static/%ed%a0%80",
                 "/static/../bot/config.py", "/api/conversation/messages%00"):  # undecodable paths
        resp = probe.send("GET", path, headers=bearer, session=guest.http)
        assert 400 <= resp.status_code < 500, (path, resp.status_code)
    probe.report("sweep of every route", statuses_seen=len(statuses))
    print("  status counts:", dict(sorted(statuses.items())))
    assert probe.server_errors == []
    me = guest.http.get(stack.base_url + "/api/me").json()
    assert me["customer"] is None, "no bad body logged the guest in"


def test_only_a_json_media_type_passes_the_csrf_check(stack):
    """A cross-site form can send `text/plain` or a form encoding without a preflight: refused."""
    probe = Probe(stack)
    guest = stack.customer()
    conversation_id = guest.conversation_id
    sent = [
        probe.send("POST", "/api/conversation/messages", raw='{"text": "배송 언제 와요?"}',
                   content_type="text/plain; charset=application/json", session=guest.http),
        probe.send("POST", "/api/conversation/messages", raw='{"text": "배송 언제 와요?"}',
                   content_type="text/plain;application/json", session=guest.http),
        probe.send("POST", "/api/login", raw='{"customer_id": 1}',
                   content_type="text/plain; charset=application/json", session=guest.http),
        probe.send("POST", "/api/staff/login", raw='{"username": "agent1", "password": "agent1234"}',
                   content_type="text/plain; charset=application/json"),
        probe.send("POST", "/api/logout", raw="", content_type="application/x-www-form-urlencoded",
                   session=guest.http),
        probe.send("POST", "/api/logout", raw="a=1", content_type="application/x-www-form-urlencoded",
                   session=guest.http),
        probe.send("POST", "/api/logout", session=guest.http),  # an empty form post: no content type
    ]
    probe.report("csrf", messages_stored=message_count(stack, conversation_id))
    assert [(r.status_code, korean_error(r)) for r in sent] == [(400, NOT_JSON)] * len(sent)
    assert "token" not in sent[3].json()
    assert guest.conversation_id == conversation_id, "the form posts did not log the guest out"
    assert message_count(stack, conversation_id) == 0
    # the widget's own requests still work
    assert guest.http.post(stack.base_url + "/api/logout", json={}).status_code == 200
    assert guest.conversation_id != conversation_id


def test_websockets_refuse_pages_on_other_sites(stack):
    customer = stack.customer(1)
    agent = stack.staff("agent1", "agent1234")
    own = stack.base_url
    tried = refused = 0

    async def first_frame(path: str, origin: Optional[str], headers: Dict[str, str]) -> Any:
        nonlocal tried, refused
        tried += 1
        try:
            async with websockets.connect(ws_url(stack, path), origin=origin, extra_headers=headers) as ws:
                return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["type"]
        except websockets.InvalidStatusCode as exc:
            refused += 1
            return exc.status_code

    async def scenario() -> List[Any]:
        results = []
        for path, headers in [("/ws/conversation", cookie_header(customer)), (f"/ws/staff?token={agent.token}", {})]:
            for origin in ["http://evil.example", "null", own.replace("127.0.0.1", "localhost"),
                           own.rsplit(":", 1)[0] + ":1", own, None]:
                results.append(await first_frame(path, origin, headers))
        return results

    results = asyncio.run(scenario())
    print(f"websocket origins: tried {tried}, refused {refused}, 5xx seen: 0")
    assert results == [403, 403, 403, 403, "status", "status",
                       403, 403, 403, 403, "hello", "hello"]
