"""The handoff hook: who hears about tickets besides the database.

- `ConsoleHook`: the built-in agent/seller console reads tickets from the database and the
  staff websocket, so it needs nothing more.
- `WebhookHook`: an external help desk receives each ticket as a signed POST
  (HMAC-SHA256 over "<timestamp>.<body>", headers X-Modu-Timestamp and X-Modu-Signature),
  retried with exponential back-off; it answers through the inbound API (bot.gateway.hook_api).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any, Dict, List, Optional

import aiohttp

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Modu-Signature"
TIMESTAMP_HEADER = "X-Modu-Timestamp"
MAX_SKEW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: Optional[str], body: bytes, signature: Optional[str],
           now: Optional[float] = None) -> bool:
    """A request signed with our secret within the last five minutes."""
    if not secret or not timestamp or not signature:
        return False
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    return age <= MAX_SKEW_SECONDS and hmac.compare_digest(sign(secret, timestamp, body), signature)


class ConsoleHook:
    def ticket_opened(self, ticket: dict, transcript: List[dict]) -> None:
        pass

    def ticket_changed(self, ticket: dict) -> None:
        pass


class WebhookHook:
    def __init__(self, url: str, secret: str, attempts: int = 5, first_delay: float = 0.5) -> None:
        if not url or not secret:
            raise ValueError("HANDOFF_WEBHOOK_URL and HANDOFF_WEBHOOK_SECRET are required for the webhook hook")
        self.url, self.secret = url, secret
        self.attempts, self.first_delay = attempts, first_delay
        self._tasks: set = set()

    def ticket_opened(self, ticket: dict, transcript: List[dict]) -> None:
        self._send({"event": "ticket_opened", "ticket": ticket, "transcript": transcript})

    def ticket_changed(self, ticket: dict) -> None:
        self._send({"event": "ticket_changed", "ticket": ticket})

    def _send(self, event: Dict[str, Any]) -> None:
        task = asyncio.get_event_loop().create_task(self.deliver(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, event: Dict[str, Any]) -> bool:
        """POST with retries: 0.5 s, 1 s, 2 s, ... between attempts. True once delivered."""
        body = json.dumps(event, ensure_ascii=False).encode()
        delay = self.first_delay
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            for attempt in range(1, self.attempts + 1):
                timestamp = str(int(time.time()))
                headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                           SIGNATURE_HEADER: sign(self.secret, timestamp, body)}
                try:
                    async with http.post(self.url, data=body, headers=headers) as resp:
                        if resp.status < 300:
                            return True
                        log.warning("handoff webhook attempt %d: HTTP %d", attempt, resp.status)
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    log.warning("handoff webhook attempt %d: %r", attempt, exc)
                if attempt < self.attempts:
                    await asyncio.sleep(delay)
                    delay *= 2
        log.error("handoff webhook gave up on %s", event.get("event"))
        return False


def make_hook(kind: str, url: str = "", secret: str = ""):
    if kind == "webhook":
        return WebhookHook(url, secret)
    return ConsoleHook()
