"""The webhook hook against a small real HTTP receiver: signed, retried with back-off."""
from __future__ import annotations

import asyncio
import json
import time

from aiohttp import web

from bot.handoff.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookHook, sign, verify

SECRET = "s3cret"


async def run_receiver(fail_first: int):
    received = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        received.append((time.monotonic(), dict(request.headers), body))
        return web.Response(status=500 if len(received) <= fail_first else 200)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/hook", received


def test_a_receiver_that_fails_twice_still_gets_the_signed_ticket():
    async def scenario():
        runner, url, received = await run_receiver(fail_first=2)
        try:
            hook = WebhookHook(url, SECRET, attempts=5, first_delay=0.05)
            ok = await hook.deliver({"event": "ticket_opened", "ticket": {"id": 7, "reason": "requested"}})
        finally:
            await runner.cleanup()
        return ok, received

    ok, received = asyncio.run(scenario())
    assert ok and len(received) == 3
    _, headers, body = received[-1]
    assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert json.loads(body)["ticket"]["id"] == 7
    gaps = [b[0] - a[0] for a, b in zip(received, received[1:])]
    assert gaps[1] > gaps[0], "back-off grows"


def test_a_receiver_that_never_answers_is_given_up_on():
    async def scenario():
        runner, url, received = await run_receiver(fail_first=99)
        try:
            ok = await WebhookHook(url, SECRET, attempts=3, first_delay=0.01).deliver({"event": "x"})
        finally:
            await runner.cleanup()
        return ok, received

    ok, received = asyncio.run(scenario())
    assert not ok and len(received) == 3


def test_signatures_bind_body_time_and_secret():
    body, ts = b'{"a": 1}', str(int(time.time()))
    good = sign(SECRET, ts, body)
    assert verify(SECRET, ts, body, good)
    assert not verify(SECRET, ts, b'{"a": 2}', good)
    assert not verify("other", ts, body, good)
    old = str(int(time.time()) - 3600)
    assert not verify(SECRET, old, body, sign(SECRET, old, body)), "replays expire"
    assert not verify("", ts, body, good) and not verify(SECRET, None, body, good)
