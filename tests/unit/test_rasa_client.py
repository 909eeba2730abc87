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


def test_a_message_id_is_sent_and_a_rewind_leaves_the_tracker_listening():
    async def scenario():
        bodies: list = []

        async def record(request: web.Request) -> web.Response:
            bodies.append((request.path, request.query.get("token"), await request.json()))
            return web.json_response([] if "webhook" in request.path else {})

        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", record)
        app.router.add_post("/conversations/{sender}/tracker/events", record)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        client = RasaClient(url_of(runner), token="t")
        try:
            await client.send("c1", "네", {"customer_id": 1}, message_id="m42")
            await client.rewind("c1")
        finally:
            await client.close()
            await runner.cleanup()
        assert bodies[0] == ("/webhooks/rest/webhook", None, {"sender": "c1", "message": "네",
                                                              "metadata": {"customer_id": 1}, "message_id": "m42"})
        assert bodies[1] == ("/conversations/c1/tracker/events", "t",
                             [{"event": "rewind"}, {"event": "action", "name": "action_listen"}])

    asyncio.run(scenario())


async def vanishing_rasa(seen: list) -> web.AppRunner:
    """An instance that dies in the middle of every call: the connection closes, no answer."""
    async def hang_up(request: web.Request) -> web.Response:
        seen.append(("vanishing", request.path))
        request.transport.close()
        return web.Response()

    app = web.Application()
    app.router.add_post("/{tail:.*}", hang_up)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def test_a_call_to_an_instance_that_is_down_goes_to_the_next():
    async def scenario():
        seen: list = []
        live = await fake_rasa("live", seen)
        dead = "http://127.0.0.1:9"  # nothing listens: refused before anything was sent
        client = RasaClient(f"{dead},{url_of(live)}", token="t")
        try:
            replies = [await client.send("c1", f"turn {n}", {}) for n in range(3)]
        finally:
            await client.close()
            await live.cleanup()
        assert [r[0]["text"] for r in replies] == ["live: turn 0", "live: turn 1", "live: turn 2"]

    asyncio.run(scenario())


def test_concurrent_calls_never_retry_the_instance_they_already_tried():
    async def scenario():
        seen: list = []
        live = await fake_rasa("live", seen)
        client = RasaClient(f"http://127.0.0.1:9,{url_of(live)}", token="t")
        try:  # the round robin moves under each call: a retry must still go elsewhere
            replies = await asyncio.gather(*(client.send(f"c{n}", "안녕하세요", {}) for n in range(20)))
        finally:
            await client.close()
            await live.cleanup()
        assert [r[0]["text"] for r in replies] == ["live: 안녕하세요"] * 20

    asyncio.run(scenario())


def test_a_message_whose_instance_dies_mid_turn_is_sent_to_the_next_but_a_rewind_is_not():
    async def scenario():
        seen: list = []
        vanishing, live = await vanishing_rasa(seen), await fake_rasa("live", seen)
        client = RasaClient(f"{url_of(vanishing)},{url_of(live)}", token="t")
        try:
            # With its id the message is answered once however often it is sent: resent.
            replies = await client.send("c1", "배송비 얼마예요?", {}, message_id="m7")
            assert replies[0]["text"] == "live: 배송비 얼마예요?"
            # A rewind may have happened before the connection went: never sent twice.
            with pytest.raises(RasaUnavailable, match="ServerDisconnected"):
                await client.rewind("c1")
        finally:
            await client.close()
            await vanishing.cleanup()
            await live.cleanup()
        assert [s[0] for s in seen] == ["vanishing", "live", "vanishing"]

    asyncio.run(scenario())


def test_an_instance_that_does_not_answer_in_time_is_unavailable():
    async def scenario():
        async def slow(request: web.Request) -> web.Response:
            await asyncio.sleep(2)
            return web.json_response([])

        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", slow)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        client = RasaClient(url_of(runner), token="t", timeout=0.2)
        try:  # asyncio's TimeoutError, not the built-in one (Python 3.10): it was an HTTP 500
            with pytest.raises(RasaUnavailable, match="TimeoutError"):
                await client.send("c1", "안녕하세요", {}, message_id="m1")
        finally:
            await client.close()
            await runner.cleanup()

    asyncio.run(scenario())
