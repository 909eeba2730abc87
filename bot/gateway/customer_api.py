"""The customer side of the gateway: who the customer is, the conversation API and its websocket.

A customer is known by the signed conversation cookie (bot.gateway.auth); every route
works on the conversation that cookie names. Which customer a conversation belongs to is
set in one of two ways:
- demo mode (Settings.demo_mode): the shop page's demo bar picks any customer,
  `POST /api/login {customer_id}`, or a guest, `POST /api/logout`;
- production: the shop's backend signs its logged-in customer (bot.gateway.identity) and the
  widget hands the token to `POST /api/identify {token}` (no token: a guest).
A different identity always starts a new conversation, so nothing said or verified as one
person (a guest's order looked up by phone digits, say) is seen as another.
"""
from __future__ import annotations

import json
import re
from typing import Optional

from sanic import Request, Sanic, response
from sqlalchemy import select

from bot.config import Settings
from bot.conversation.models import Conversation
from bot.conversation.service import (CLIENT_KEY, MODE_LABELS, Chat, NoConversation, conversation_channel,
                                      status_frame)
from bot.db import session_scope
from bot.gateway import auth, identity
from bot.gateway.identity import IdentityError
from bot.gateway.web import BadRequest, error, int_arg, is_id, json_body, pump
from bot.shop.models import Customer

NO_CONVERSATION = "대화를 찾을 수 없어요. 페이지를 새로고침해 주세요."
DEMO_ONLY = "데모 모드에서만 고객을 고를 수 있어요. 쇼핑몰에 로그인해 주세요."
UNKNOWN_CUSTOMER = "회원 정보를 찾을 수 없어요. 쇼핑몰에 다시 로그인해 주세요."
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def valid_client_id(value: object) -> bool:
    """The widget's id for one message: 8 to 64 URL-safe characters (a UUID fits)."""
    return isinstance(value, str) and CLIENT_ID.fullmatch(value) is not None


def register(app: Sanic, settings: Settings, chat: Chat) -> None:
    url = settings.database_url

    def current_conversation(request: Request) -> Optional[str]:
        conversation_id = auth.conversation_from_cookie(settings.secret_key, request.cookies.get(auth.COOKIE))
        if conversation_id and chat.conversation(conversation_id) is not None:
            return conversation_id
        return None

    def with_cookie(resp, conversation_id: str):
        resp.cookies[auth.COOKIE] = auth.sign_conversation(settings.secret_key, conversation_id)
        resp.cookies[auth.COOKIE]["httponly"] = True
        resp.cookies[auth.COOKIE]["samesite"] = "Lax"
        resp.cookies[auth.COOKIE]["path"] = "/"
        resp.cookies[auth.COOKIE]["max-age"] = 30 * 24 * 3600
        if settings.secure_cookies:
            resp.cookies[auth.COOKIE]["secure"] = True
        return resp

    def me(conversation_id: str) -> dict:
        with session_scope(url) as session:
            conv = session.get(Conversation, conversation_id)
            customer = session.get(Customer, conv.customer_id) if conv.customer_id else None
            return {"customer": {"id": customer.id, "name": customer.name} if customer else None,
                    "conversation_id": conversation_id, "mode": conv.mode, "mode_label": MODE_LABELS[conv.mode],
                    "demo": settings.demo_mode}

    def customer_of(conversation_id: Optional[str]) -> Optional[int]:
        conv = chat.conversation(conversation_id) if conversation_id else None
        return conv.customer_id if conv else None

    @app.get("/api/demo/customers")
    async def demo_customers(request: Request):
        if not settings.demo_mode:
            return error(403, DEMO_ONLY)
        with session_scope(url) as session:
            rows = session.execute(select(Customer).order_by(Customer.id)).scalars().all()
            return response.json({"customers": [{"id": c.id, "name": c.name} for c in rows]})

    @app.get("/api/me")
    async def get_me(request: Request):
        conversation_id = current_conversation(request)
        if conversation_id is None:
            conversation_id = chat.start_conversation(None)
            return with_cookie(response.json(me(conversation_id)), conversation_id)
        return response.json(me(conversation_id))

    @app.post("/api/login")
    async def login(request: Request):
        """Demo mode only: become any customer (the demo bar)."""
        if not settings.demo_mode:
            return error(403, DEMO_ONLY)
        body = json_body(request)
        customer_id = body.get("customer_id")
        with session_scope(url) as session:
            customer = session.get(Customer, customer_id) if is_id(customer_id) else None
        if customer is None:
            return error(400, "고객을 선택해 주세요.")
        conversation_id = chat.start_conversation(customer.id)  # a new identity never sees the old chat
        return with_cookie(response.json(me(conversation_id)), conversation_id)

    @app.post("/api/logout")
    async def logout(request: Request):
        json_body(request)  # JSON only: a cross-site form cannot post here
        conversation_id = chat.start_conversation(None)
        return with_cookie(response.json(me(conversation_id)), conversation_id)

    @app.post("/api/identify")
    async def identify(request: Request):
        """The shop's signed customer, `{token}`, or a guest, `{token: null}`.

        The same customer as the current conversation's keeps it (a reload, another page); any
        other identity gets a new conversation. A token that does not verify is refused (401)
        and the browser is left a guest, never the customer it was before.
        """
        token = json_body(request).get("token")
        current = current_conversation(request)
        bound = customer_of(current)

        def as_guest(refusal: Optional[str] = None):
            if current is not None and bound is None:  # already a guest: stays in that conversation
                return error(401, refusal) if refusal else response.json(me(current))
            conversation_id = chat.start_conversation(None)
            return with_cookie(error(401, refusal) if refusal else response.json(me(conversation_id)), conversation_id)

        if token is None or token == "":
            return as_guest()
        try:
            customer_id = identity.verify(settings.identity_secret, token)
            with session_scope(url) as session:
                if session.get(Customer, customer_id) is None:
                    raise IdentityError(UNKNOWN_CUSTOMER)
        except IdentityError as exc:
            return as_guest(str(exc))
        if current is not None and bound == customer_id:
            return response.json(me(current))
        conversation_id = chat.start_conversation(customer_id)
        return with_cookie(response.json(me(conversation_id)), conversation_id)

    @app.get("/api/conversation/messages")
    async def history(request: Request):
        conversation_id = current_conversation(request)
        if conversation_id is None:
            return error(401, NO_CONVERSATION)
        after = int_arg(request.args.get("after"), 0)
        return response.json({"messages": chat.messages_after(conversation_id, after)})

    @app.post("/api/conversation/messages")
    async def send(request: Request):
        # The turn itself finds the conversation (NoConversation): one read less, off the event loop.
        conversation_id = auth.conversation_from_cookie(settings.secret_key, request.cookies.get(auth.COOKIE))
        if conversation_id is None:
            return error(401, NO_CONVERSATION)
        body = json_body(request)
        text, payload, client_id = body.get("text"), body.get("payload"), body.get("client_id")
        if not isinstance(text, str) or not text.strip():
            return error(400, "메시지를 입력해 주세요.")
        if len(text) > 10 * settings.max_message_chars:
            return error(413, f"메시지가 너무 길어요. {settings.max_message_chars:,}자 이내로 보내 주세요.")
        if client_id is not None and not valid_client_id(client_id):
            return error(400, "메시지 식별자가 올바르지 않아요. 페이지를 새로고침해 주세요.")
        # The same client_id again (a retry) is stored and answered once: see Chat.customer_says.
        CLIENT_KEY.set(auth.client_key(settings.secret_key, request.remote_addr or request.ip))
        try:
            result = await chat.customer_says(conversation_id, text.strip(),
                                              payload if isinstance(payload, str) else None, client_id=client_id)
        except NoConversation:
            return error(401, NO_CONVERSATION)
        return response.json(result)

    @app.websocket("/ws/conversation")
    async def conversation_socket(request: Request, ws):
        conversation_id = current_conversation(request)
        if conversation_id is None:
            await ws.close(code=4401, reason="unauthorized")
            return
        try:
            after = int_arg(request.args.get("after"), 0)
        except BadRequest:
            await ws.close(code=4400, reason="bad after")
            return
        channel = conversation_channel(conversation_id)
        queue = chat.broker.subscribe(channel)
        try:
            # Subscribed first, then the backlog: nothing falls between the two.
            last = after
            for message in chat.messages_after(conversation_id, after):
                await ws.send(json.dumps({"type": "message", "message": message}, ensure_ascii=False))
                last = message["id"]
            conv = chat.conversation(conversation_id)
            await ws.send(json.dumps(status_frame(conv.mode), ensure_ascii=False))
            await pump(ws, queue, last, lambda event: [event])
        finally:
            chat.broker.unsubscribe(channel, queue)
