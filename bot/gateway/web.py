"""What every route module of the gateway shares: errors as JSON, request bodies, websockets.

`register_errors` is the one place where exceptions become HTTP statuses: a route raises
`BadRequest` or one of the desk's NotFound/Forbidden/Refused and returns nothing itself.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable, Dict, List, Type

from sanic import Request, Sanic, response
from sanic.exceptions import SanicException

from bot.conversation.broker import DROPPED
from bot.handoff.desk import Forbidden, NotFound, Refused

log = logging.getLogger(__name__)


class BadRequest(Exception):
    """The request itself is malformed (HTTP 400)."""


STATUSES: Dict[Type[Exception], int] = {BadRequest: 400, Forbidden: 403, NotFound: 404, Refused: 409}


def error(status: int, text: str) -> response.HTTPResponse:
    return response.json({"error": text}, status=status)


def register_errors(app: Sanic) -> None:
    @app.exception(*STATUSES)
    async def refused(request: Request, exc: Exception):
        return error(STATUSES[type(exc)], str(exc))

    @app.exception(SanicException)
    async def sanic_errors(request: Request, exc: SanicException):
        return error(getattr(exc, "status_code", 500) or 500, "요청을 처리할 수 없어요.")

    @app.exception(Exception)
    async def crashes(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return error(500, "일시적인 오류가 발생했어요. 잠시 후 다시 시도해 주세요.")


def json_body(request: Request) -> dict:
    if "application/json" not in (request.headers.get("content-type") or ""):
        raise BadRequest("JSON으로 보내 주세요.")  # also keeps cross-site form posts out
    return parse_json(request.body)


def parse_json(body: bytes) -> dict:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise BadRequest("요청 형식이 올바르지 않아요.")
    if not isinstance(data, dict):
        raise BadRequest("요청 형식이 올바르지 않아요.")
    return data


def int_arg(value: Any, default: int) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


async def pump(ws, queue: asyncio.Queue, last_id: int, frames: Callable[[dict], List[dict]]) -> None:
    """Forward broker events to the socket until the client goes away.

    Messages at or below `last_id` were already sent from the database: skipped, so a
    message is delivered exactly once even if it raced the backlog.
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
                last_id = message["id"]
            for frame in frames(event):
                await ws.send(json.dumps(frame, ensure_ascii=False))
    except Exception as exc:  # the socket closed under us
        log.debug("websocket closed: %r", exc)
    finally:
        closed.cancel()
