"""Talking to the Rasa server: the REST channel for messages, the HTTP API for pause/resume.

Several Rasa instances may stand behind one gateway (RASA_URL="http://a,http://b"): calls go
round robin; a call that cannot reach its instance goes to the next one, and so does a message
(sent with its id, so answered once) whose instance went away mid-turn. That is only correct
with a shared tracker store (SQL) and lock store (Redis), which `python -m bot run` configures
from TRACKER_STORE_URL and REDIS_URL.

A model swap (bot.studio.models) drains one instance at a time: no new call goes to it (they go
to the others, or wait while it is the only one), its calls in flight finish, then Rasa loads the
new model (`PUT /model`, which blocks that server while it loads), then calls flow to it again.
So no message waits inside a loading Rasa until it times out, and none is sent twice.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, List, Optional

import aiohttp

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    pass


class RasaClient:
    def __init__(self, base_urls: str, token: str, timeout: float = 30.0) -> None:
        self.base_urls = [u.strip().rstrip("/") for u in base_urls.split(",") if u.strip()]
        self._next = itertools.cycle(range(len(self.base_urls)))
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: Optional[aiohttp.ClientSession] = None
        self._inflight = [0] * len(self.base_urls)
        self._draining: set = set()
        self._changed: Optional[asyncio.Condition] = None

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _pick(self, tried: frozenset = frozenset()) -> int:
        """The next instance round robin, skipping the ones being drained (waiting if all are)
        and the ones this call `tried` already."""
        async with self._condition():
            while True:
                for _ in self.base_urls:
                    instance = next(self._next)
                    if instance not in self._draining and instance not in tried:
                        self._inflight[instance] += 1
                        return instance
                await self._condition().wait()

    async def _done(self, instance: int) -> None:
        async with self._condition():
            self._inflight[instance] -= 1
            self._condition().notify_all()

    @asynccontextmanager
    async def drained(self, instance: int, timeout: float = 60.0) -> AsyncIterator[None]:
        """No call reaches this instance inside the block (calls in flight finish first)."""
        async with self._condition():
            self._draining.add(instance)
            try:
                await asyncio.wait_for(self._condition().wait_for(lambda: self._inflight[instance] == 0), timeout)
            except asyncio.TimeoutError:
                log.warning("rasa %s still busy after %.0f s: swapping anyway", self.base_urls[instance], timeout)
        try:
            yield
        finally:
            async with self._condition():
                self._draining.discard(instance)
                self._condition().notify_all()

    async def load_model(self, instance: int, model_file: str, timeout: float = 600.0) -> float:
        """`PUT /model` on one instance (drain it first: see `drained`); returns the seconds it took."""
        http = await self._http()
        began = time.monotonic()
        try:
            async with http.put(self.base_urls[instance] + "/model", json={"model_file": model_file},
                                params={"token": self.token}, timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                if resp.status >= 400:
                    raise RasaUnavailable(f"PUT /model: HTTP {resp.status}: {(await resp.text())[:300]}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaUnavailable(f"PUT /model: {exc!r}") from exc
        return time.monotonic() - began

    async def status(self, instance: int) -> Dict[str, Any]:
        http = await self._http()
        async with http.get(self.base_urls[instance] + "/status", params={"token": self.token}) as resp:
            return await resp.json(content_type=None) if resp.status < 400 else {}

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, sender: str, message: str, metadata: Dict[str, Any],
                   message_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """A customer message in, the bot's replies out (text, buttons, custom payloads).

        With `message_id`, sending the same message again is safe: Rasa's channel
        (bot/rasa_channel.py) answers a message it has already handled from its tracker.
        """
        body: Dict[str, Any] = {"sender": sender, "message": message, "metadata": metadata}
        if message_id:
            body["message_id"] = message_id
        return await self._post("/webhooks/rest/webhook", body, auth=False, resendable=bool(message_id))

    async def rewind(self, sender: str) -> None:
        """Undo the latest user turn in the tracker (Rasa's `rewind` event), e.g. one whose
        action failed: the conversation is again where it was before that message, so a
        pending 「취소할까요?」 still waits for its 「네」.

        A rewind also takes back the `action_listen` before that message; without putting it
        back the next message meets no rule and the fallback loops (as after a bare resume).
        """
        await self._post(f"/conversations/{sender}/tracker/events",
                         [{"event": "rewind"}, {"event": "action", "name": "action_listen"}])

    async def resume(self, sender: str, say: Optional[str] = None) -> List[Dict[str, Any]]:
        """Give a paused conversation back to the bot, optionally saying `say` (an utter_ action).

        The tracker must end listening: a paused conversation stopped right after the handoff
        action, and `/execute` runs one action without predicting `action_listen` after it.
        Without that last event the next user message meets no rule and the fallback loops.
        """
        await self._post(f"/conversations/{sender}/tracker/events", {"event": "resume"})
        said = await self.execute(sender, say) if say else []
        await self._post(f"/conversations/{sender}/tracker/events", {"event": "action", "name": "action_listen"})
        return said

    async def execute(self, sender: str, action: str) -> List[Dict[str, Any]]:
        """Run one action (e.g. utter_handback) and return what it said."""
        result = await self._post(f"/conversations/{sender}/execute", {"name": action})
        return result.get("messages", []) if isinstance(result, dict) else []

    async def _post(self, path: str, body: Any, auth: bool = True, resendable: bool = False) -> Any:
        """POST to the next instance. If it cannot be reached, the next one gets the call (it never
        arrived); so does a `resendable` call (a message with its id) whose instance went away in
        the middle (killed, restarted): each instance is tried at most once per call."""
        http = await self._http()
        params = {"token": self.token} if auth else None
        tried: set = set()
        for attempt in range(len(self.base_urls)):
            instance = await self._pick(frozenset(tried))
            tried.add(instance)
            try:
                async with http.post(self.base_urls[instance] + path, json=body, params=params) as resp:
                    if resp.status >= 400:
                        text = await resp.text()
                        raise RasaUnavailable(f"{path}: HTTP {resp.status}: {text[:200]}")
                    return await resp.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:  # not the built-in one before 3.11
                gone = isinstance(exc, aiohttp.ClientConnectorError) or (
                    resendable and isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)))
                if not gone or attempt == len(self.base_urls) - 1:
                    raise RasaUnavailable(f"{path}: {exc!r}") from exc
                log.warning("rasa %s: %r; trying the next instance", self.base_urls[instance], exc)
            finally:
                await self._done(instance)
