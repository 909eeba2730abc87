"""What every gateway route shares (bot.gateway.web): strict JSON bodies, the media type, ids and
numbers within the database's range, the websocket origin rule, and the one error mapping,
served by an in-process Sanic app."""
from __future__ import annotations

import asyncio
import json
import socket
import uuid
from types import SimpleNamespace

import aiohttp
import pytest
from sanic import Sanic, response

from bot.gateway.web import (BAD_JSON, BAD_NUMBER, BAD_TEXT, MAX_BODY, MAX_DEPTH, MAX_ID, TOO_LARGE, BadRequest,
                             TooLarge, int_arg, is_id, json_body, media_type, origin_allowed, parse_json,
                             register_errors)


def request(content_type, body: bytes = b"{}"):
    return SimpleNamespace(headers={"content-type": content_type} if content_type else {}, body=body)


@pytest.mark.parametrize("header, expected", [
    ("application/json", "application/json"),
    ("Application/JSON; charset=utf-8", "application/json"),
    (" application/json ;charset=UTF-8", "application/json"),
    ("text/plain; charset=application/json", "text/plain"),
    ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
    (None, ""),
])
def test_the_media_type_is_the_part_before_the_parameters(header, expected):
    assert media_type(header) == expected


@pytest.mark.parametrize("content_type", [
    "text/plain; charset=application/json",  # passed the old substring test
    "text/plain;application/json",
    "multipart/form-data; boundary=application/json",
    "application/x-www-form-urlencoded",
    "application/jsonp",
    "",
])
def test_only_a_json_media_type_is_a_json_body(content_type):
    with pytest.raises(BadRequest, match="JSON으로 보내 주세요."):
        json_body(request(content_type))


def test_a_json_media_type_with_a_charset_is_read():
    assert json_body(request("application/json; charset=utf-8", '{"text": "안녕"}'.encode())) == {"text": "안녕"}


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("body, message", [
    (b'{"text": "\\ud800"}', BAD_TEXT),                 # a lone surrogate: not storable as UTF-8
    (b'{"\\udfff": "key"}', BAD_TEXT),
    (b'{"a": [{"b": "x\\ud800y"}]}', BAD_TEXT),
    (b'{"text": "a\\u0000b"}', BAD_TEXT),                # NUL: PostgreSQL refuses it in text
    (b'{"a": ' + nested(30_000) + b"}", BAD_JSON),       # far too deep for the parser
    (b'{"a": ' + nested(MAX_DEPTH) + b"}", BAD_JSON),    # one level deeper than allowed
    (b'{"a": NaN}', BAD_JSON),
    (b'{"a": Infinity}', BAD_JSON),
    (b'{"a": 1e999}', BAD_JSON),
    (b'{"a": 1, "a": 2}', BAD_JSON),                     # which one would a route read?
    (b'\xff\xfe{}', BAD_JSON),                            # not UTF-8
    (b'{"a": "\xed\xa0\x80"}', BAD_JSON),                 # a surrogate encoded in the bytes
    (b"[1, 2]", BAD_JSON),
    (b'"text"', BAD_JSON),
    (b"null", BAD_JSON),
    (b"{", BAD_JSON),
])
def test_bodies_the_database_or_a_route_cannot_take_are_refused_with_a_korean_message(body, message):
    with pytest.raises(BadRequest) as caught:
        parse_json(body)
    assert str(caught.value) == message


def test_a_body_over_the_size_bound_is_too_large():
    with pytest.raises(TooLarge) as caught:
        parse_json(b'{"text": "' + b"a" * MAX_BODY + b'"}')
    assert str(caught.value) == TOO_LARGE


def test_ordinary_bodies_are_read_as_they_are():
    assert parse_json(b"") == {}
    assert parse_json('{"text": "배송 언제 와요? 😀", "n": 3, "ok": true}'.encode()) == \
        {"text": "배송 언제 와요? 😀", "n": 3, "ok": True}
    assert parse_json(b'{"a": ' + nested(MAX_DEPTH - 1) + b"}")["a"] is not None


@pytest.mark.parametrize("value, expected", [
    (1, True), (MAX_ID, True),
    (True, False), (False, False), (0, False), (-1, False), (MAX_ID + 1, False), (10 ** 20, False),
    (1.0, False), ("1", False), (None, False), ([1], False),
])
def test_an_id_is_an_int_not_a_bool_within_the_database_range(value, expected):
    assert is_id(value) is expected


@pytest.mark.parametrize("value, expected", [(None, 7), ("", 7), ("0", 0), ("42", 42), (str(MAX_ID), MAX_ID)])
def test_a_number_argument_is_read_or_defaulted(value, expected):
    assert int_arg(value, 7) == expected


@pytest.mark.parametrize("value", ["9223372036854775808", str(MAX_ID + 1), "1" * 400, "-1", "abc", "1e3", "1.5",
                                   " 1", "１２", "٣"])
def test_a_number_argument_out_of_range_or_not_a_number_is_a_bad_request(value):
    with pytest.raises(BadRequest) as caught:
        int_arg(value, 0)
    assert str(caught.value) == BAD_NUMBER


@pytest.mark.parametrize("origin, host, allowed, expected", [
    (None, "127.0.0.1:8000", (), True),                                   # not a browser
    ("http://127.0.0.1:8000", "127.0.0.1:8000", (), True),
    ("https://chat.example.com", "chat.example.com", (), True),           # behind a TLS proxy
    ("http://chat.example.com", "chat.example.com", (), True),
    ("https://chat.example.com", "chat.example.com:443", (), True),
    ("HTTP://Chat.Example.com", "chat.example.com", (), True),
    ("https://shop.example.com", "chat.example.com", ("https://shop.example.com",), True),
    ("https://shop.example.com/", "chat.example.com", (" https://shop.example.com ",), True),
    ("https://evil.example", "chat.example.com", ("https://shop.example.com",), False),
    ("http://127.0.0.1:9000", "127.0.0.1:8000", (), False),               # another port is another site
    ("http://127.0.0.1", "127.0.0.1:8000", (), False),
    ("https://chat.example.com.evil.example", "chat.example.com", (), False),
    ("null", "127.0.0.1:8000", (), False),                                # sandboxed frames, file://
    ("", "127.0.0.1:8000", (), False),
    ("file://", "127.0.0.1:8000", (), False),
    ("http://127.0.0.1:8000", None, (), False),
    ("http://[::1]:8000", "[::1]:8000", (), True),
    ("http://[::1]", "[::1]:8000", (), False),
])
def test_only_the_gateway_s_own_and_configured_origins_may_open_a_websocket(origin, host, allowed, expected):
    assert origin_allowed(origin, host, allowed) is expected


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def raw_get(port: int, path: str, header: bytes) -> tuple:
    """GET with one header sent as raw bytes (HTTP clients refuse to send these)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".encode() + header + b"\r\n\r\n")
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def serve(calls):
    """A tiny app with the gateway's error mapping; returns (status, json) for each (method, path, body)."""
    async def scenario():
        app = Sanic(f"web_{uuid.uuid4().hex[:8]}")
        app.config.REQUEST_MAX_SIZE = MAX_BODY
        register_errors(app)

        @app.get("/things/<thing_id:int>")
        async def thing(request, thing_id: int):
            return response.json({"id": thing_id})

        @app.post("/echo")
        async def echo(request):
            return response.json(json_body(request))

        @app.get("/after")
        async def after(request):
            return response.json({"after": int_arg(request.args.get("after"), 0)})

        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
        await server.startup()
        await server.start_serving()
        answers = []
        try:
            async with aiohttp.ClientSession() as http:
                for method, path, body, *raw_headers in calls:
                    if raw_headers:
                        answers.append(await raw_get(port, path, raw_headers[0]))
                        continue
                    headers = {"Content-Type": "application/json"} if body is not None else {}
                    async with http.request(method, f"http://127.0.0.1:{port}{path}", data=body,
                                            headers=headers) as resp:
                        answers.append((resp.status, await resp.json()))
        finally:
            server.close()
            await server.wait_closed()
        return answers

    return asyncio.run(scenario())


def test_bad_input_becomes_a_4xx_with_a_korean_message_never_a_500(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)
    calls = [
        ("GET", f"/things/{10 ** 20}", None),
        ("GET", f"/things/{MAX_ID + 1}", None),
        ("GET", "/things/-5", None),
        ("GET", "/things/0", None),
        ("GET", "/after?after=9223372036854775808", None),
        ("POST", "/echo", b'{"text": "\\ud800"}'),
        ("POST", "/echo", b'{"a": ' + nested(30_000) + b"}"),
        ("POST", "/echo", b"x" * (MAX_BODY + 1)),
        ("GET", "/echo", None),
        ("GET", "/nowhere", None),
        ("GET", "/things/1", None, b"Authorization: Bearer \xff\xfe"),  # not UTF-8
        ("GET", "/things/1", None, b"Cookie: modu_chat=\xed\xa0\x80.x"),  # a surrogate's bytes
        ("GET", f"/things/{MAX_ID}", None),
        ("GET", "/after?after=12", None),
    ]
    answers = serve(calls)
    print(f"requests tried: {len(calls)}, 5xx seen: {sum(status >= 500 for status, _ in answers)}")
    assert answers == [
        (404, {"error": "요청한 항목을 찾을 수 없어요."}),
        (404, {"error": "요청한 항목을 찾을 수 없어요."}),
        (404, {"error": "요청한 항목을 찾을 수 없어요."}),
        (404, {"error": "요청한 항목을 찾을 수 없어요."}),
        (400, {"error": BAD_NUMBER}),
        (400, {"error": BAD_TEXT}),
        (400, {"error": BAD_JSON}),
        (413, {"error": TOO_LARGE}),
        (405, {"error": "지원하지 않는 요청 방식이에요."}),
        (404, {"error": "요청한 주소를 찾을 수 없어요."}),
        (400, {"error": BAD_JSON}),
        (400, {"error": BAD_JSON}),
        (200, {"id": MAX_ID}),
        (200, {"after": 12}),
    ]


def test_the_socket_skips_what_the_backlog_sent_and_nothing_after_it_even_out_of_order():
    """Two gateways posting in one conversation at once: id 12 may arrive before id 11."""
    from bot.conversation.broker import DROPPED
    from bot.gateway.web import pump

    class Socket:
        def __init__(self):
            self.sent = []

        async def recv(self):
            await asyncio.sleep(60)  # the client stays

        async def send(self, text):
            self.sent.append(json.loads(text))

        async def close(self, code, reason):
            self.sent.append({"closed": code})

    async def scenario():
        ws, queue = Socket(), asyncio.Queue()
        for message_id in (10, 12, 11, 9):
            queue.put_nowait({"type": "message", "message": {"id": message_id}})
        queue.put_nowait(DROPPED)
        await pump(ws, queue, 10, lambda event: [event])
        return ws.sent

    sent = asyncio.run(scenario())
    assert [frame.get("message", {}).get("id") for frame in sent[:-1]] == [12, 11]
    assert sent[-1] == {"closed": 1013}
