"""The customer side of the gateway: the demo login, the conversation API and its websocket.

A customer is known by the signed conversation cookie (bot.gateway.auth); every route
works on the conversation that cookie names.
"""
from __future__ import annotations

import json
from typing import Optional

from sanic import Request, Sanic, response
from sqlalchemy import select

from bot.config import Settings
from bot.conversation.models import Conversation
from bot.conversation.service import CLIENT_KEY, MODE_LABELS, Chat, conversation_channel, status_frame
from bot.db import session_scope
from bot.gateway import auth
from bot.gateway.web import error, int_arg, json_body, pump
from bot.shop.models import Customer

NO_CONVERSATION = "대화를 찾을 수 없어요. 페이지를 새로고침해 주세요."


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
                    "conversation_id": conversation_id, "mode": conv.mode, "mode_label": MODE_LABELS[conv.mode]}

    @app.get("/api/demo/customers")
    async def demo_customers(request: Request):
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
        body = json_body(request)
        with session_scope(url) as session:
            customer = session.get(Customer, body.get("customer_id")) if isinstance(body.get("customer_id"), int) else None
        if customer is None:
            return error(400, "고객을 선택해 주세요.")
        conversation_id = chat.start_conversation(customer.id)  # a new identity never sees the old chat
        return with_cookie(response.json(me(conversation_id)), conversation_id)

    @app.post("/api/logout")
    async def logout(request: Request):
        conversation_id = chat.start_conversation(None)
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
        conversation_id = current_conversation(request)
        if conversation_id is None:
            return error(401, NO_CONVERSATION)
        body = json_body(request)
        text, payload = body.get("text"), body.get("payload")
        if not isinstance(text, str) or not text.strip():
            return error(400, "메시지를 입력해 주세요.")
        if len(text) > 10 * settings.max_message_chars:
            return error(413, f"메시지가 너무 길어요. {settings.max_message_chars:,}자 이내로 보내 주세요.")
        CLIENT_KEY.set(auth.client_key(settings.secret_key, request.remote_addr or request.ip))
        result = await chat.customer_says(conversation_id, text.strip(),
                                          payload if isinstance(payload, str) else None)
        return response.json(result)

    @app.websocket("/ws/conversation")
    async def conversation_socket(request: Request, ws):
        conversation_id = current_conversation(request)
        if conversation_id is None:
            await ws.close(code=4401, reason="unauthorized")
            return
        after = int_arg(request.args.get("after"), 0)
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
