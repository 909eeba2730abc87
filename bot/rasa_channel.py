"""The REST channel the gateway talks to, made safe to retry (runs inside the Rasa server).

Configured in credentials.yml in place of Rasa's `rest` channel, at the same path
(/webhooks/rest/webhook). Two differences, both about a turn the gateway may send twice:

- A turn that has started finishes, even when the gateway hangs up (it was killed or
  restarted mid-turn). Rasa's REST channel is cancelled with the request, possibly after
  an action has written to the shop but before the tracker was saved.
- The gateway sends each message with its own `message_id`. A message Rasa has already
  answered is not handled again: the answer is read back from the tracker. The check
  waits for the conversation's lock, so a retry that arrives while the first attempt is
  still running gets that attempt's answer.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, UserUttered, UserUtteranceReverted
from sanic import Blueprint, response
from sanic.request import Request

from bot.rasa_runtime import read_tracker

log = logging.getLogger(__name__)


def bot_events_after(events: List[Any], message_id: str) -> Optional[List[BotUttered]]:
    """What the bot said in answer to message `message_id`; None if that turn is not there
    (never received, or undone by a rewind)."""
    start = None
    for i, event in enumerate(events):
        if isinstance(event, UserUttered) and event.message_id == message_id:
            start = i
    if start is None:
        return None
    said: List[BotUttered] = []
    for event in events[start + 1:]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, UserUtteranceReverted):
            return None
        if isinstance(event, BotUttered):
            said.append(event)
    return said


class GatewayInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("gateway_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            body: Dict[str, Any] = request.json or {}
            sender, text = body.get("sender"), body.get("message")
            message_id = body.get("message_id") or None
            if message_id:
                earlier = await self._answered(request, sender, str(message_id))
                if earlier is not None:
                    return response.json(earlier)
            collector = CollectingOutputChannel()
            turn = asyncio.ensure_future(on_new_message(UserMessage(
                text, collector, sender, input_channel=self.name(), metadata=body.get("metadata"),
                message_id=str(message_id) if message_id else None)))
            try:
                await asyncio.shield(turn)  # the caller hanging up does not stop the turn
            except asyncio.CancelledError:
                log.warning("the gateway hung up during a turn of %s; the turn goes on", sender)
                raise
            except Exception:
                log.exception("a turn of %s failed", sender)
            return response.json(collector.messages)

        return hook

    async def _answered(self, request: Request, sender: str, message_id: str) -> Optional[List[dict]]:
        agent = request.app.ctx.agent
        async with agent.lock_store.lock(sender):  # waits for a turn still running
            tracker = await read_tracker(agent.tracker_store, sender)
        said = bot_events_after(list(tracker.events), message_id) if tracker is not None else None
        if said is None:
            return None
        collector = CollectingOutputChannel()
        for event in said:
            await collector.send_response(sender, event.message())
        log.info("message %s of %s was answered before: sent the same answer again", message_id, sender)
        return collector.messages
