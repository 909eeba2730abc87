"""What every route module of the gateway shares: errors as JSON, request bodies, websockets.

`register_errors` is the one place where exceptions become HTTP statuses: a route raises
`BadRequest` or one of the desk's NotFound/Forbidden/Refused and returns nothing itself.

Whatever comes from outside is checked here once, before any route sees it: bodies are strict
JSON (UTF-8, no NaN, no duplicate keys, bounded size and depth, every string storable), numbers
that name rows are integers within the database's range (a JSON `true` is not the id 1), path
ids out of that range are simply not found, headers the gateway reads must be UTF-8, and the
media type is parsed, not searched.
"""
from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import Any, Callable, Dict, Iterable, List, Optional, Type
from urllib.parse import urlsplit

from sanic import Request, Sanic, response
from sanic.exceptions import SanicException

from bot.conversation.broker import DROPPED
from bot.handoff.desk import Forbidden, NotFound, Refused

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # bytes; also Sanic's REQUEST_MAX_SIZE (bot.gateway.app)
MAX_DEPTH = 16  # nested arrays/objects; the widget and the console send 1
MAX_ID = 2 ** 31 - 1  # INTEGER columns (PostgreSQL's int4); SQLite's limit is wider

BAD_JSON = "요청 형식이 올바르지 않아요."
BAD_TEXT = "읽을 수 없는 문자가 들어 있어요. 내용을 확인해 주세요."
BAD_NUMBER = "요청한 번호가 올바르지 않아요."
TOO_LARGE = "요청이 너무 커요."


class BadRequest(Exception):
    """The request itself is malformed (HTTP 400)."""


class TooLarge(BadRequest):
    """The request is larger than the gateway accepts (HTTP 413)."""


STATUSES: Dict[Type[Exception], int] = {BadRequest: 400, TooLarge: 413, Forbidden: 403, NotFound: 404,
                                        Refused: 409}
TEXT_HEADERS = ("authorization", "cookie", "origin", "host", "content-type")  # the ones the gateway reads
SANIC_MESSAGES = {404: "요청한 주소를 찾을 수 없어요.", 405: "지원하지 않는 요청 방식이에요.", 413: TOO_LARGE}


def error(status: int, text: str) -> response.HTTPResponse:
    return response.json({"error": text}, status=status)


def register_errors(app: Sanic) -> None:
    @app.exception(*STATUSES)
    async def refused(request: Request, exc: Exception):
        return error(STATUSES[type(exc)], str(exc))

    @app.exception(SanicException)
    async def sanic_errors(request: Request, exc: SanicException):
        status = getattr(exc, "status_code", 500) or 500
        return error(status, SANIC_MESSAGES.get(status, "요청을 처리할 수 없어요."))

    @app.exception(Exception)
    async def crashes(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return error(500, "일시적인 오류가 발생했어요. 잠시 후 다시 시도해 주세요.")

    @app.middleware("request")
    async def readable_headers(request: Request):
        """Header bytes that are not UTF-8 reach the routes as lone surrogates: refused here."""
        for name in TEXT_HEADERS:
            for value in request.headers.getall(name, []):
                if not encodable(value):
                    raise BadRequest(BAD_JSON)

    @app.middleware("request")
    async def path_ids(request: Request):
        """An id in the path (`<ticket_id:int>`) outside the database's range names nothing."""
        for value in (request.match_info or {}).values():
            if isinstance(value, int) and not 0 < value <= MAX_ID:
                raise NotFound("요청한 항목을 찾을 수 없어요.")


def media_type(header: Optional[str]) -> str:
    """`application/json` from `Application/JSON; charset=utf-8`: the type before any parameter."""
    return (header or "").split(";", 1)[0].strip().lower()


def json_body(request: Request) -> dict:
    if media_type(request.headers.get("content-type")) != "application/json":
        raise BadRequest("JSON으로 보내 주세요.")  # also keeps cross-site form posts out
    return parse_json(request.body)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _object(pairs: list) -> dict:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise ValueError("duplicate key")
    return data


def parse_json(body: Optional[bytes]) -> dict:
    """A JSON object from a request body, or BadRequest/TooLarge with a Korean message."""
    body = body or b"{}"
    if len(body) > MAX_BODY:
        raise TooLarge(TOO_LARGE)
    try:
        data = json.loads(body.decode("utf-8"), object_pairs_hook=_object, parse_constant=_no_constant)
    except RecursionError:  # far deeper than MAX_DEPTH
        raise BadRequest(BAD_JSON)
    except ValueError:  # also UnicodeDecodeError
        raise BadRequest(BAD_JSON)
    if not isinstance(data, dict):
        raise BadRequest(BAD_JSON)
    check_values(data)
    return data


def check_values(data: Any) -> None:
    """Depth within MAX_DEPTH, finite numbers, and strings the database can store: no lone
    surrogates (not UTF-8) and no NUL (PostgreSQL refuses it in text)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise BadRequest(BAD_JSON)
            items: Iterable[Any] = value.items() if isinstance(value, dict) else value
            for item in items:
                if isinstance(value, dict):
                    key, item = item
                    check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(value, str):
            check_text(value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise BadRequest(BAD_JSON)


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(text: str) -> str:
    if not encodable(text) or "\x00" in text:
        raise BadRequest(BAD_TEXT)
    return text


def is_id(value: Any) -> bool:
    """A row id from JSON: an int (not a bool) within the database's range."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def int_arg(value: Any, default: int, maximum: int = MAX_ID) -> int:
    """A non-negative integer query argument: the default when absent, BadRequest when not a
    plain decimal number within `maximum` (e.g. `after=9223372036854775808`)."""
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 12:
        raise BadRequest(BAD_NUMBER)
    number = int(value)
    if number > maximum:
        raise BadRequest(BAD_NUMBER)
    return number


def origin_allowed(origin: Optional[str], host: Optional[str], allowed: Iterable[str]) -> bool:
    """Whether a browser page at `origin` may open the gateway's websockets.

    No Origin header: not a browser (browsers always send one on a websocket handshake), so no
    cross-site request is possible. Otherwise the page must be the gateway's own (same host and
    port as the Host header; the scheme may differ behind a TLS proxy) or a configured origin.
    """
    if origin is None:
        return True
    origin = origin.strip().lower().rstrip("/")
    if origin in {o.strip().lower().rstrip("/") for o in allowed if o.strip()}:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc or not host:
        return False
    default_port = {"http": "80", "https": "443"}[parts.scheme]
    return _host_port(parts.netloc, default_port) == _host_port(host.strip().lower(), default_port)


def _host_port(netloc: str, default_port: str) -> str:
    host, sep, port = netloc.rpartition(":")
    if not sep or "]" in port:  # no port (or the colon was inside an IPv6 address)
        return f"{netloc}:{default_port}"
    return f"{host}:{port}"


async def pump(ws, queue: asyncio.Queue, last_id: int, frames: Callable[[dict], List[dict]]) -> None:
    """Forward broker events to the socket until the client goes away.

    Messages at or below `last_id` were already sent from the database: skipped, so a
    message is delivered exactly once even if it raced the backlog. Later ones are all sent,
    even when a lower id arrives after a higher one (two gateways, or two sessions, posting
    in one conversation at the same moment).
    """
    async def reader() -> None:
        while True:
            if await ws.recv() is None:
                return

    closed = asyncio.ensure_future(reader())
    try:
        while not closed.done():
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, closed}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            event = getter.result()
            if event is DROPPED:
                await ws.close(code=1013, reason="too slow, reconnect")
                break
            message = event.get("message")
            if message and event["type"] == "message" and "conversation_id" not in event:
                if message["id"] <= last_id:
                    continue
            for frame in frames(event):
                await ws.send(json.dumps(frame, ensure_ascii=False))
    except Exception as exc:  # the socket closed under us
        log.debug("websocket closed: %r", exc)
    finally:
        closed.cancel()
