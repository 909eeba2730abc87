"""The Rasa client against two small in-process HTTP servers: turns go round robin over the
instances, and a failing instance surfaces as RasaUnavailable."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from bot.conversation.rasa_client import RasaClient, RasaUnavailable


async def fake_rasa(name: str, seen: list, status: int = 200) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append((name, body["sender"], body["message"], body["metadata"]))
        if status != 200:
            return web.Response(status=status, text="model not ready")
        return web.json_response([{"recipient_id": body["sender"], "text": f"{name}: {body['message']}"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def url_of(runner: web.AppRunner) -> str:
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}"


def test_turns_go_round_robin_over_the_instances():
    async def scenario():
        seen: list = []
        a, b = await fake_rasa("a", seen), await fake_rasa("b", seen)
        client = RasaClient(f"{url_of(a)}, {url_of(b)}/", token="t")
        try:
            replies = [await client.send("c1", f"turn {n}", {"guest": True}) for n in range(4)]
        finally:
            await client.close()
            await a.cleanup()
            await b.cleanup()
        assert [r[0]["text"] for r in replies] == ["a: turn 0", "b: turn 1", "a: turn 2", "b: turn 3"]
        assert seen[0] == ("a", "c1", "turn 0", {"guest": True})

    asyncio.run(scenario())


def test_an_instance_answering_with_an_error_is_unavailable():
    async def scenario():
        seen: list = []
        broken = await fake_rasa("broken", seen, status=503)
        client = RasaClient(url_of(broken), token="t")
        try:
            with pytest.raises(RasaUnavailable, match="HTTP 503"):
                await client.send("c1", "hello", {})
        finally:
            await client.close()
            await broken.cleanup()

    asyncio.run(scenario())
