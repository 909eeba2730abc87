"""The web gateway (Sanic): the only public entry point.

Customer side: the demo shop page with the chat widget, the conversation API and its
websocket. Staff side: the agent/seller console API and its websocket. The inbound
help-desk API for the webhook hook lives in bot.gateway.hook_api.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Optional

from sanic import Request, Sanic, response
from sanic.exceptions import SanicException
from sqlalchemy import select

from bot.config import Settings
from bot.db import session_scope
from bot.conversation.broker import DROPPED, Broker
from bot.conversation.models import Conversation
from bot.conversation.rasa_client import RasaClient
from bot.conversation.service import STAFF_CHANNEL, Chat, conversation_channel
from bot.gateway import auth, hook_api
from bot.handoff.desk import Desk, Forbidden, NotFound, Refused
from bot.handoff.hooks import make_hook
from bot.handoff.models import Ticket
from bot.shop.models import Customer

log = logging.getLogger(__name__)

CANNED = [
    {"title": "첫인사", "text": "안녕하세요, 모두의마켓 상담원입니다. 문의하신 내용 확인하고 있어요. 잠시만 기다려 주세요."},
    {"title": "확인 중", "text": "주문 내역을 확인하고 있어요. 1~2분만 기다려 주세요."},
    {"title": "판매자 확인", "text": "판매자에게 확인 후 이 채팅으로 다시 안내드릴게요."},
    {"title": "마무리", "text": "더 궁금한 점이 있으시면 챗봇에게 물어봐 주세요. 상담을 종료할게요. 감사합니다."},
]
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'",
}


def error(status: int, text: str) -> response.HTTPResponse:
    return response.json({"error": text}, status=status)


def create_app(settings: Optional[Settings] = None, name: str = "modu_gateway") -> Sanic:
    settings = settings or Settings()
    app = Sanic(name)
    app.config.WEBSOCKET_PING_INTERVAL = 20
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    broker = Broker()
    chat = Chat(url=settings.database_url, rasa=RasaClient(settings.rasa_url, settings.rasa_token),
                broker=broker, max_chars=settings.max_message_chars)
    desk = Desk(url=settings.database_url, chat=chat,
                hook=make_hook(settings.handoff_hook, settings.webhook_url, settings.webhook_secret))
    chat.handoff = desk
    app.ctx.settings, app.ctx.chat, app.ctx.desk, app.ctx.broker = settings, chat, desk, broker
    url = settings.database_url

    app.static("/static", str(settings.static_dir))

    @app.middleware("response")
    async def headers(request: Request, resp) -> None:
        if resp is not None:
            for key, value in SECURITY_HEADERS.items():
                resp.headers.setdefault(key, value)

    @app.exception(SanicException)
    async def sanic_errors(request: Request, exc: SanicException):
        return error(getattr(exc, "status_code", 500) or 500, "요청을 처리할 수 없어요.")

    @app.exception(Exception)
    async def crashes(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return error(500, "일시적인 오류가 발생했어요. 잠시 후 다시 시도해 주세요.")

    @app.listener("after_server_start")
    async def start_escalation(app_: Sanic, _loop) -> None:
        async def every_minute() -> None:
            while True:
                try:
                    desk.escalate_overdue()
                except Exception:  # keep the loop alive; the next round retries
                    log.exception("escalation round failed")
                await asyncio.sleep(60)

        app_.add_task(every_minute())

    @app.listener("before_server_stop")
    async def close_clients(app_: Sanic, _loop) -> None:
        await chat.rasa.close()

    # --- pages -------------------------------------------------------------------------
    @app.get("/")
    async def shop_page(request: Request):
        return await response.file(str(settings.static_dir / "shop.html"))

    @app.get("/console")
    async def console_page(request: Request):
        return await response.file(str(settings.static_dir / "console.html"))

    @app.get("/health")
    async def health(request: Request):
        with session_scope(url) as session:
            session.execute(select(1))
        return response.json({"ok": True, "rasa_calls": chat.rasa.calls})

    # --- customers ---------------------------------------------------------------------
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

    def json_body(request: Request) -> dict:
        if "application/json" not in (request.headers.get("content-type") or ""):
            raise Refused("JSON으로 보내 주세요.")  # also keeps cross-site form posts out
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise Refused("요청 형식이 올바르지 않아요.")
        if not isinstance(body, dict):
            raise Refused("요청 형식이 올바르지 않아요.")
        return body

    def me(conversation_id: str) -> dict:
        with session_scope(url) as session:
            conv = session.get(Conversation, conversation_id)
            customer = session.get(Customer, conv.customer_id) if conv.customer_id else None
            return {"customer": {"id": customer.id, "name": customer.name} if customer else None,
                    "conversation_id": conversation_id, "mode": conv.mode}

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
            return error(401, "대화를 찾을 수 없어요. 페이지를 새로고침해 주세요.")
        after = _int(request.args.get("after"), 0)
        return response.json({"messages": chat.messages_after(conversation_id, after)})

    @app.post("/api/conversation/messages")
    async def send(request: Request):
        conversation_id = current_conversation(request)
        if conversation_id is None:
            return error(401, "대화를 찾을 수 없어요. 페이지를 새로고침해 주세요.")
        try:
            body = json_body(request)
        except Refused as exc:
            return error(400, str(exc))
        text, payload = body.get("text"), body.get("payload")
        if not isinstance(text, str) or not text.strip():
            return error(400, "메시지를 입력해 주세요.")
        if len(text) > 10 * settings.max_message_chars:
            return error(413, f"메시지가 너무 길어요. {settings.max_message_chars:,}자 이내로 보내 주세요.")
        result = await chat.customer_says(conversation_id, text.strip(),
                                          payload if isinstance(payload, str) else None)
        return response.json(result)

    @app.websocket("/ws/conversation")
    async def conversation_socket(request: Request, ws):
        conversation_id = current_conversation(request)
        if conversation_id is None:
            await ws.close(code=4401, reason="unauthorized")
            return
        after = _int(request.args.get("after"), 0)
        queue = broker.subscribe(conversation_channel(conversation_id))
        try:
            # Subscribed first, then the backlog: nothing falls between the two.
            last = after
            for message in chat.messages_after(conversation_id, after):
                await ws.send(json.dumps({"type": "message", "message": message}, ensure_ascii=False))
                last = message["id"]
            conv = chat.conversation(conversation_id)
            await ws.send(json.dumps({"type": "status", "mode": conv.mode}))
            await _pump(ws, queue, last, lambda event: [event])
        finally:
            broker.unsubscribe(conversation_channel(conversation_id), queue)

    # --- staff ---------------------------------------------------------------------------
    def staff(request: Request) -> Optional[dict]:
        return auth.staff_user(url, auth.bearer(request.headers.get("authorization")))

    def staff_route(handler):
        async def wrapped(request: Request, *args, **kwargs):
            user = staff(request)
            if user is None:
                return error(401, "로그인이 필요해요.")
            try:
                return await handler(request, user, *args, **kwargs)
            except NotFound as exc:
                return error(404, str(exc))
            except Forbidden as exc:
                return error(403, str(exc))
            except Refused as exc:
                return error(409, str(exc))
        wrapped.__name__ = handler.__name__
        return wrapped

    @app.post("/api/staff/login")
    async def staff_login(request: Request):
        try:
            body = json_body(request)
        except Refused as exc:
            return error(400, str(exc))
        result = auth.staff_login(url, str(body.get("username", "")), str(body.get("password", "")),
                                  settings.staff_session_hours)
        if result is None:
            await asyncio.sleep(0.3)  # slows guessing a little; real lockout belongs to the SSO
            return error(401, "아이디 또는 비밀번호가 올바르지 않아요.")
        token, user = result
        return response.json({"token": token, "user": user})

    @app.post("/api/staff/logout")
    @staff_route
    async def staff_logout(request: Request, user: dict):
        auth.staff_logout(url, auth.bearer(request.headers.get("authorization")))
        return response.json({"ok": True})

    @app.get("/api/staff/me")
    @staff_route
    async def staff_me(request: Request, user: dict):
        return response.json({"user": user})

    @app.get("/api/staff/canned")
    @staff_route
    async def canned(request: Request, user: dict):
        return response.json({"canned": CANNED})

    @app.get("/api/staff/tickets")
    @staff_route
    async def tickets(request: Request, user: dict):
        return response.json({"tickets": desk.list_tickets(user, request.args.get("status", "queued"))})

    @app.get("/api/staff/tickets/<ticket_id:int>")
    @staff_route
    async def ticket(request: Request, user: dict, ticket_id: int):
        return response.json(desk.ticket_detail(ticket_id, user))

    @app.post("/api/staff/tickets/<ticket_id:int>/claim")
    @staff_route
    async def claim(request: Request, user: dict, ticket_id: int):
        return response.json({"ticket": desk.claim(ticket_id, user)})

    @app.post("/api/staff/tickets/<ticket_id:int>/reply")
    @staff_route
    async def reply(request: Request, user: dict, ticket_id: int):
        return response.json({"message": desk.reply(ticket_id, user, json_body(request).get("text"))})

    @app.post("/api/staff/tickets/<ticket_id:int>/note")
    @staff_route
    async def note(request: Request, user: dict, ticket_id: int):
        return response.json({"note": desk.note(ticket_id, user, json_body(request).get("text"))})

    @app.post("/api/staff/tickets/<ticket_id:int>/handback")
    @staff_route
    async def handback(request: Request, user: dict, ticket_id: int):
        return response.json({"ticket": await desk.hand_back(ticket_id, user)})

    @app.post("/api/staff/tickets/<ticket_id:int>/close")
    @staff_route
    async def close(request: Request, user: dict, ticket_id: int):
        return response.json({"ticket": await desk.close(ticket_id, user)})

    @app.post("/api/staff/tickets/<ticket_id:int>/decision")
    @staff_route
    async def decision(request: Request, user: dict, ticket_id: int):
        approve = json_body(request).get("approve")
        if not isinstance(approve, bool):
            raise Refused("승인 여부를 선택해 주세요.")
        return response.json({"ticket": desk.decide(ticket_id, user, approve)})

    @app.websocket("/ws/staff")
    async def staff_socket(request: Request, ws):
        user = auth.staff_user(url, request.args.get("token"))
        if user is None:
            await ws.close(code=4401, reason="unauthorized")
            return
        queue = broker.subscribe(STAFF_CHANNEL)
        try:
            await ws.send(json.dumps({"type": "hello", "user": user}, ensure_ascii=False))
            await _pump(ws, queue, 0, _staff_frames(url, user))
        finally:
            broker.unsubscribe(STAFF_CHANNEL, queue)

    hook_api.register(app, settings, desk)
    return app


def _staff_frames(url: str, user: dict):
    """What a staff socket receives for a broker event: agents everything, a seller only its
    own tickets. Message events are addressed to the tickets of their conversation."""
    def frames(event: dict) -> list:
        if event["type"] == "ticket":
            mine = user["role"] != "seller" or event["ticket"].get("seller_id") == user["seller_id"]
            return [event] if mine else []
        with session_scope(url) as session:
            if event["type"] == "message":
                query = select(Ticket.id).where(Ticket.conversation_id == event["conversation_id"])
            else:
                query = select(Ticket.id).where(Ticket.id == event.get("ticket_id"))
            if user["role"] == "seller":
                query = query.where(Ticket.seller_id == user["seller_id"])
            ticket_ids = session.execute(query.order_by(Ticket.id.desc()).limit(5)).scalars().all()
        if event["type"] != "message":
            return [event] if ticket_ids else []
        return [dict(event, ticket_id=ticket_id) for ticket_id in ticket_ids]

    return frames


async def _pump(ws, queue: asyncio.Queue, last_id: int, frames) -> None:
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


def _int(value: Any, default: int) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default
