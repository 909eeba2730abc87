"""The web gateway (Sanic): the only public entry point.

`create_app` wires the services (chat, desk, broker) and registers the routes from their
own modules: the customer side (bot.gateway.customer_api: the shop page's widget API and
its websocket), the staff side (bot.gateway.staff_api: the console API and its websocket)
and the inbound help-desk API for the webhook hook (bot.gateway.hook_api). Errors become
HTTP statuses in one place, bot.gateway.web.register_errors.

The websockets carry the cookie's conversation and the staff's tickets, so a page on another
site must not open them: the handshake is refused (403, before any socket exists, as RFC 6455
section 4.2.2 advises) unless the page is the gateway's own or one of Settings.allowed_origins.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Optional

from sanic import Request, Sanic, response
from sqlalchemy import select

from bot.config import Settings
from bot.conversation.broker import make_broker
from bot.conversation.rasa_client import RasaClient
from bot.conversation.service import Chat
from bot.db import session_scope
from bot.gateway import analytics_api, customer_api, hook_api, staff_api, studio_api
from bot.gateway.web import MAX_BODY, error, origin_allowed, register_errors
from bot.handoff.desk import Desk
from bot.handoff.hooks import make_hook

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'",
}


def create_app(settings: Optional[Settings] = None, name: str = "modu_gateway") -> Sanic:
    settings = settings or Settings()
    app = Sanic(name)
    app.config.WEBSOCKET_PING_INTERVAL = 20
    app.config.REQUEST_MAX_SIZE = MAX_BODY
    broker = make_broker(settings.redis_url)  # through Redis pub/sub when REDIS_URL is set
    chat = Chat(url=settings.database_url, rasa=RasaClient(settings.rasa_url, settings.rasa_token),
                broker=broker, max_chars=settings.max_message_chars)
    desk = Desk(url=settings.database_url, chat=chat,
                hook=make_hook(settings.handoff_hook, settings.webhook_url, settings.webhook_secret))
    chat.handoff = desk
    app.ctx.settings, app.ctx.chat, app.ctx.desk, app.ctx.broker = settings, chat, desk, broker

    app.static("/static", str(settings.static_dir))
    register_errors(app)

    @app.middleware("request")
    async def websocket_origin(request: Request):
        route = request.route
        if route is not None and getattr(route.ctx, "websocket", False) and not origin_allowed(
                request.headers.get("origin"), request.headers.get("host"), settings.allowed_origins):
            log.warning("websocket from a foreign origin refused: %s", request.headers.get("origin"))
            return error(403, "허용되지 않은 페이지에서 연결할 수 없어요.")

    @app.middleware("response")
    async def headers(request: Request, resp) -> None:
        if resp is not None:
            for key, value in SECURITY_HEADERS.items():
                resp.headers.setdefault(key, value)

    @app.listener("before_server_start")
    async def start_broker(app_: Sanic, _loop) -> None:
        await broker.start()  # subscribed before the first websocket: nothing falls in between

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
        await broker.stop()

    @app.get("/")
    async def shop_page(request: Request):
        return await response.file(str(settings.static_dir / "shop.html"))

    @app.get("/console")
    async def console_page(request: Request):
        return await response.file(str(settings.static_dir / "console.html"))

    @app.get("/health")
    async def health(request: Request):
        with session_scope(settings.database_url) as session:
            session.execute(select(1))
        return response.json({"ok": True})

    customer_api.register(app, settings, chat)
    staff_api.register(app, settings, desk)
    hook_api.register(app, settings, desk)
    analytics_api.register(app, settings, chat)
    studio_api.register(app, settings, chat)
    return app
