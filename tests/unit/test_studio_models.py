"""Swapping the model (bot.studio.models) against two small in-process Rasa servers: every
instance loads the model through `PUT /model`, one at a time, while the other keeps answering;
the previous model stays for a rollback; nothing outside the models dir is loaded."""
from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from bot.conversation.rasa_client import RasaClient
from bot.studio.models import ModelSwitch, UnknownModel


async def fake_rasa(name: str, log: list, load_seconds: float = 0.3) -> web.AppRunner:
    async def webhook(request):
        body = await request.json()
        log.append(("message", name, body["message"]))
        return web.json_response([{"text": f"{name}: {body['message']}"}])

    async def put_model(request):
        body = await request.json()
        log.append(("load-start", name, body["model_file"]))
        await asyncio.sleep(load_seconds)
        log.append(("load-end", name, body["model_file"]))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_put("/model", put_model)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def url_of(runner) -> str:
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}"


@pytest.fixture
def models_dir(tmp_path):
    (tmp_path / "candidates").mkdir()
    (tmp_path / "modu.tar.gz").write_bytes(b"old")
    (tmp_path / "candidates" / "new.tar.gz").write_bytes(b"new")
    (tmp_path.parent / "outside.tar.gz").write_bytes(b"x")
    return tmp_path


def test_every_instance_swaps_in_turn_while_the_other_answers_and_rollback_restores(models_dir):
    async def scenario():
        log: list = []
        a, b = await fake_rasa("a", log), await fake_rasa("b", log)
        client = RasaClient(f"{url_of(a)},{url_of(b)}", token="t")
        switch = ModelSwitch(models_dir, client)
        try:
            assert switch.serving() == models_dir / "modu.tar.gz"
            activation = asyncio.ensure_future(switch.activate("candidates/new.tar.gz", "정시나"))
            answers = []
            for n in range(8):
                await asyncio.sleep(0.08)
                answers.append((await client.send("c1", f"turn {n}", {}))[0]["text"])
            result = await activation
            back = await switch.rollback("정시나")
        finally:
            await client.close()
            await a.cleanup()
            await b.cleanup()
        new, old = str(models_dir / "candidates" / "new.tar.gz"), str(models_dir / "modu.tar.gz")
        loads = [entry for entry in log if entry[0] != "message"]
        assert loads == [("load-start", "a", new), ("load-end", "a", new), ("load-start", "b", new),
                         ("load-end", "b", new), ("load-start", "a", old), ("load-end", "a", old),
                         ("load-start", "b", old), ("load-end", "b", old)]
        for i, entry in enumerate(log):  # no message reached an instance while it was loading
            if entry[0] == "message":
                loading = {e[1] for e in log[:i] if e[0] == "load-start"} - {e[1] for e in log[:i] if e[0] == "load-end"}
                assert entry[1] not in loading, log
        assert len(answers) == 8 and len(set(answers)) == 8
        assert (result["model"], result["previous"], len(result["instances"])) == ("candidates/new.tar.gz", "modu.tar.gz", 2)
        assert (back["model"], back["previous"]) == ("modu.tar.gz", "candidates/new.tar.gz")
        state = json.loads((models_dir / "studio_state.json").read_text())
        assert (state["serving"], state["previous"]) == ("modu.tar.gz", "candidates/new.tar.gz")

    asyncio.run(scenario())


def test_a_single_instance_holds_new_turns_until_it_has_loaded(models_dir):
    async def scenario():
        log: list = []
        a = await fake_rasa("a", log, load_seconds=0.5)
        client = RasaClient(url_of(a), token="t")
        switch = ModelSwitch(models_dir, client)
        try:
            activation = asyncio.ensure_future(switch.activate("candidates/new.tar.gz", "정시나"))
            await asyncio.sleep(0.1)
            reply = await client.send("c1", "during the swap", {})
            await activation
        finally:
            await client.close()
            await a.cleanup()
        assert reply == [{"text": "a: during the swap"}]
        assert [e[0] for e in log] == ["load-start", "load-end", "message"]

    asyncio.run(scenario())


def test_only_models_inside_the_models_dir(models_dir):
    switch = ModelSwitch(models_dir, RasaClient("http://127.0.0.1:9", token="t"))
    for name in ("../outside.tar.gz", "/etc/passwd.tar.gz", "candidates/missing.tar.gz", "domain.yml", 7):
        with pytest.raises(UnknownModel):
            switch.resolve(name)
    with pytest.raises(UnknownModel, match="되돌릴 이전 모델이 없어요."):
        asyncio.run(switch.rollback("정시나"))
    assert [m["model"] for m in switch.available()] in (["modu.tar.gz", "candidates/new.tar.gz"],
                                                        ["candidates/new.tar.gz", "modu.tar.gz"])
