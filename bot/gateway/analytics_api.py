"""Analytics routes: the staff dashboard and its JSON/CSV API, the customer's rating (CSAT),
and the background consumer that stores Rasa's event-broker events.

    GET  /console/analytics                                       the dashboard page
    GET  /static/vendor/chart.umd.js                               Chart.js, installed by npm (package.json)
    GET  /api/staff/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD       figures (agents: all; a seller: its own)
         &format=csv&table=agents|sellers|by_day|by_hour|handoffs|targets|intents|faq
    GET  /api/conversation/csat                                    {ask, rated}: has the conversation just ended?
    POST /api/conversation/csat/shown                              the widget showed the survey (counted once)
    POST /api/conversation/csat {"score": 1..5, "comment": "..."}  once per conversation, after an answer
"""
from __future__ import annotations

import asyncio
import logging
import os
from datetime import date, timedelta
from typing import Optional

from sanic import Request, Sanic, response
from sqlalchemy import select

from bot.analytics import consumer, csat, events, metrics
from bot.analytics.facts import FINISHES
from bot.analytics.models import AnalyticsEvent
from bot.clock import to_kst
from bot.config import Settings
from bot.conversation.models import Message
from bot.conversation.service import Chat
from bot.db import ROOT, session_scope, utcnow
from bot.gateway import auth
from bot.gateway.customer_api import NO_CONVERSATION
from bot.gateway.web import error, json_body
from bot.handoff.desk import HANDOFF_REASON_LABELS

log = logging.getLogger(__name__)

CHART_JS = ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.js"
MAX_DAYS = 366
DEFAULT_DAYS = 28
ANSWERS = ("bot", "agent", "seller")


def parse_day(value: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def register(app: Sanic, settings: Settings, chat: Chat) -> None:
    url = settings.database_url
    env = dict(os.environ, DATABASE_URL=url)
    sql_source = consumer.source_for_refresh(env)
    abandon_after = timedelta(minutes=float(os.environ.get("ABANDON_MINUTES", "30")))
    closings = csat.closing_texts(ROOT / "domain.yml")

    @app.listener("after_server_start")
    async def start_consumer(app_: Sanic, _loop) -> None:
        app_.add_task(consumer.run_consumer(url, env), name="analytics_consumer")

    @app.listener("before_server_stop")
    async def stop_consumer(app_: Sanic, _loop) -> None:
        for task in asyncio.all_tasks():
            if task.get_name() == "analytics_consumer":
                task.cancel()

    @app.get("/console/analytics")
    async def dashboard_page(request: Request):
        return await response.file(str(settings.static_dir / "analytics.html"))

    @app.get("/static/vendor/chart.umd.js")
    async def chart_js(request: Request):
        if not CHART_JS.exists():
            return error(404, "차트 라이브러리가 설치되지 않았어요. `npm ci`(make install)를 실행해 주세요.")
        return await response.file(str(CHART_JS), mime_type="text/javascript",
                                   headers={"Cache-Control": "public, max-age=86400"})

    # --- staff: the figures ---------------------------------------------------------------
    @app.get("/api/staff/analytics")
    async def analytics(request: Request):
        user = auth.staff_user(url, auth.bearer(request.headers.get("authorization")))
        if user is None:
            return error(401, "로그인이 필요해요.")
        today = to_kst(utcnow()).date()
        last = parse_day(request.args.get("to")) if request.args.get("to") else today
        first = parse_day(request.args.get("from")) if request.args.get("from") else last - timedelta(days=DEFAULT_DAYS - 1)
        if first is None or last is None:
            return error(400, "날짜는 YYYY-MM-DD 형식으로 입력해 주세요.")
        if first > last:
            return error(400, "시작일이 종료일보다 늦어요.")
        if (last - first).days >= MAX_DAYS:
            return error(400, f"기간은 최대 {MAX_DAYS}일까지 조회할 수 있어요.")
        table = request.args.get("table")
        csv_wanted = request.args.get("format") == "csv"
        if csv_wanted and table not in metrics.TABLES:
            return error(400, "내보낼 표를 선택해 주세요: " + ", ".join(metrics.TABLES))
        if user["role"] == "seller" and not user.get("seller_id"):
            return error(403, "판매자 정보가 없는 계정이에요.")
        if sql_source:
            try:
                consumer.drain_sql_broker(url, sql_source)  # the latest turns, before counting
            except Exception:
                log.exception("could not read the event broker before answering")
        with session_scope(url) as session:
            data = metrics.report(session, first, last, utcnow(),
                                  seller_id=user["seller_id"] if user["role"] == "seller" else None,
                                  abandon_after=abandon_after)
        for item in data["handoffs_by_reason"]:
            item["label"] = HANDOFF_REASON_LABELS.get(item["reason"], item["reason"])
        data["scope"]["role"] = user["role"]
        if csv_wanted:
            name = f"analytics-{table}-{first.isoformat()}-{last.isoformat()}.csv"
            return response.text(metrics.to_csv(data, table), content_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return response.json(data, ensure_ascii=False)

    # --- customers: rating the conversation --------------------------------------------------
    def conversation_of(request: Request) -> Optional[str]:
        conversation_id = auth.conversation_from_cookie(settings.secret_key, request.cookies.get(auth.COOKIE))
        return conversation_id if conversation_id and chat.conversation(conversation_id) is not None else None

    def rated_and_shown(session, conversation_id: str):
        kinds = set(session.execute(select(AnalyticsEvent.kind).where(
            AnalyticsEvent.conversation_id == conversation_id,
            AnalyticsEvent.kind.in_(("csat", "csat_shown")))).scalars())
        return "csat" in kinds, bool(kinds)

    @app.get("/api/conversation/csat")
    async def csat_state(request: Request):
        conversation_id = conversation_of(request)
        if conversation_id is None:
            return error(401, NO_CONVERSATION)
        with session_scope(url) as session:
            rated, shown = rated_and_shown(session, conversation_id)
            messages = session.execute(select(Message.sender, Message.text, Message.created_at).where(
                Message.conversation_id == conversation_id).order_by(Message.id.desc()).limit(30)).all()[::-1]
            last_customer = max((m.created_at for m in messages if m.sender == "customer"), default=None)
            finished = last_customer is not None and session.execute(select(AnalyticsEvent.id).where(
                AnalyticsEvent.conversation_id == conversation_id, AnalyticsEvent.kind.in_(FINISHES),
                AnalyticsEvent.at >= last_customer).limit(1)).first() is not None
        mode = chat.conversation(conversation_id).mode
        ask = csat.survey_due([(m.sender, m.text) for m in messages], finished, mode, shown, closings)
        return response.json({"ask": ask, "rated": rated})

    @app.post("/api/conversation/csat/shown")
    async def csat_shown(request: Request):
        conversation_id = conversation_of(request)
        if conversation_id is None:
            return error(401, NO_CONVERSATION)
        with session_scope(url) as session:
            events.record(session, "csat_shown", conversation_id, key=f"csat_shown:{conversation_id}")
        return response.json({"ok": True})

    @app.post("/api/conversation/csat")
    async def rate(request: Request):
        conversation_id = conversation_of(request)
        if conversation_id is None:
            return error(401, NO_CONVERSATION)
        body = json_body(request)
        score, comment = body.get("score"), body.get("comment")
        problem = csat.rating_error(score, comment)
        if problem:
            return error(400, problem)
        with session_scope(url) as session:
            first_question = session.execute(select(Message.id).where(
                Message.conversation_id == conversation_id, Message.sender == "customer")
                .order_by(Message.id).limit(1)).scalar()
            answered = first_question is not None and session.execute(select(Message.id).where(
                Message.conversation_id == conversation_id, Message.sender.in_(ANSWERS),
                Message.id > first_question).limit(1)).first() is not None
            if not answered:
                return error(409, "아직 답변을 받지 않은 상담이에요. 답변을 받은 뒤에 평가해 주세요.")
            comment = (comment or "").strip() or None
            if not events.record(session, "csat", conversation_id, key=f"csat:{conversation_id}", score=score,
                                 data={"comment": comment} if comment else None):
                return error(409, "이미 이 상담을 평가해 주셨어요. 감사합니다.")
            events.record(session, "csat_shown", conversation_id, key=f"csat_shown:{conversation_id}")
        return response.json({"ok": True, "score": score})
