"""The scenario authors' studio (bot.studio): review, NLU inbox, retrain + evaluate, model swap.

Staff bearer token; authors read and write, agents only read, sellers and everybody else nothing.

    GET  /console/studio                                      the page
    GET  /api/staff/review/conversations?filter=fallback,csat_low,unreviewed&handoff=any|<reason>
         &confidence_below=0.5&intent=<name>&from=YYYY-MM-DD&to=YYYY-MM-DD
    GET  /api/staff/review/conversations/<id>                  the annotated transcript (masked)
    POST /api/staff/review/conversations/<id> {"reviewed": true, "tags": ["..."]}
    GET  /api/staff/nlu/inbox                                   groups of near-duplicates, most frequent first
    GET  /api/staff/nlu/intents
    POST /api/staff/nlu/examples {"text": "...", "intent": "...", "message_ids": [..]}  201 | 409 | 400
    POST /api/staff/nlu/inbox/dismiss {"message_ids": [..]}
    GET  /api/staff/nlu/changes; POST /api/staff/nlu/changes/<id>/revert
    POST /api/staff/model/train -> {"job_id"}; GET /api/staff/model/jobs/<id>; GET /api/staff/model/jobs
    GET  /api/staff/model/models; POST /api/staff/model/activate {"model": "..."}; POST /api/staff/model/rollback
"""
from __future__ import annotations

import asyncio
import threading
from datetime import date
from typing import Optional

from sanic import Request, Sanic, response

from bot.config import Settings
from bot.conversation.rasa_client import RasaUnavailable
from bot.conversation.service import Chat
from bot.db import session_scope, utcnow
from bot.gateway import auth
from bot.gateway.web import error, is_id, json_body
from bot.handoff.payload import StaffIdentity
from bot.studio import changes, inbox, nlu_files, review
from bot.studio.models import ModelSwitch, UnknownModel
from bot.studio.training import Busy, Trainer

READERS = ("author", "agent")
FORBIDDEN = "작성자(author) 계정만 할 수 있어요."


def _day(value: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filters_from(args) -> review.Filters:
    named = {f.strip() for f in (args.get("filter") or "").split(",") if f.strip()}
    below = args.get("confidence_below")
    try:
        below = float(below) if below not in (None, "") else None
    except ValueError:
        below = None
    return review.Filters(
        fallback="fallback" in named or args.get("fallback") == "1",
        handoff=args.get("handoff") or ("any" if "handoff" in named else None),
        confidence_below=below, csat_low="csat_low" in named or args.get("csat_low") == "1",
        intent=args.get("intent") or None, day_from=_day(args.get("from")), day_to=_day(args.get("to")),
        unreviewed="unreviewed" in named or args.get("unreviewed") == "1")


def register(app: Sanic, settings: Settings, chat: Chat) -> None:
    url = settings.database_url
    project = settings.studio_project_dir
    switch = ModelSwitch(settings.studio_models_dir, chat.rasa)
    trainer = Trainer(project, settings.studio_models_dir, switch.serving)
    data_lock = threading.Lock()  # one writer of data/ at a time
    swap_lock = asyncio.Lock()
    app.ctx.studio_trainer, app.ctx.studio_switch = trainer, switch

    def route(write: bool):
        def wrap(handler):
            async def wrapped(request: Request, *args, **kwargs):
                user = auth.staff_user(url, auth.bearer(request.headers.get("authorization")))
                if user is None:
                    return error(401, "로그인이 필요해요.")
                if user["role"] not in READERS:
                    return error(403, "스튜디오는 작성자와 상담원만 볼 수 있어요.")
                if write and user["role"] != "author":
                    return error(403, FORBIDDEN)
                return await handler(request, user, *args, **kwargs)
            wrapped.__name__ = handler.__name__
            return wrapped
        return wrap

    @app.get("/console/studio")
    async def studio_page(request: Request):
        return await response.file(str(settings.static_dir / "studio.html"))

    # --- review -----------------------------------------------------------------------------
    @app.get("/api/staff/review/conversations")
    @route(write=False)
    async def list_conversations(request: Request, user: StaffIdentity):
        with session_scope(url) as session:
            rows = review.conversations(session, filters_from(request.args))
        return response.json({"conversations": rows}, ensure_ascii=False)

    @app.get("/api/staff/review/conversations/<conversation_id:str>")
    @route(write=False)
    async def show_conversation(request: Request, user: StaffIdentity, conversation_id: str):
        with session_scope(url) as session:
            found = review.transcript(session, conversation_id)
        return response.json(found, ensure_ascii=False) if found else error(404, "대화를 찾을 수 없어요.")

    @app.post("/api/staff/review/conversations/<conversation_id:str>")
    @route(write=True)
    async def mark_conversation(request: Request, user: StaffIdentity, conversation_id: str):
        body = json_body(request)
        reviewed, tags = body.get("reviewed"), body.get("tags")
        if reviewed is not None and not isinstance(reviewed, bool):
            return error(400, "reviewed는 true 또는 false로 보내 주세요.")
        if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            return error(400, "tags는 문자열 목록으로 보내 주세요.")
        with session_scope(url) as session:
            if review.transcript(session, conversation_id) is None:
                return error(404, "대화를 찾을 수 없어요.")
            return response.json(review.mark(session, conversation_id, user["id"], utcnow(), reviewed, tags),
                                 ensure_ascii=False)

    # --- NLU inbox and the training data ----------------------------------------------------------
    @app.get("/api/staff/nlu/inbox")
    @route(write=False)
    async def nlu_inbox(request: Request, user: StaffIdentity):
        with session_scope(url) as session:
            groups = inbox.inbox(session, utcnow())
        return response.json({"groups": groups}, ensure_ascii=False)

    @app.get("/api/staff/nlu/intents")
    @route(write=False)
    async def nlu_intents(request: Request, user: StaffIdentity):
        return response.json({"intents": nlu_files.known_intents(project)}, ensure_ascii=False)

    def message_ids_of(body) -> Optional[list]:
        ids = body.get("message_ids") or []
        return ids if isinstance(ids, list) and all(is_id(i) for i in ids) and len(ids) <= 1000 else None

    @app.post("/api/staff/nlu/examples")
    @route(write=True)
    async def add_example(request: Request, user: StaffIdentity):
        body = json_body(request)
        intent, text, ids = body.get("intent"), body.get("text"), message_ids_of(body)
        if not isinstance(intent, str) or not intent:
            return error(400, "인텐트를 골라 주세요.")
        if ids is None or (text is not None and not isinstance(text, str)):
            return error(400, "text는 문자열, message_ids는 메시지 번호 목록으로 보내 주세요.")
        names: list = []
        predicted = None
        with session_scope(url) as session:
            if text is None:
                if not ids:
                    return error(400, "문장(text)이나 메시지 번호(message_ids)를 보내 주세요.")
                original = inbox.original_text(session, ids[0])
                if original is None:
                    return error(404, "메시지를 찾을 수 없어요.")
                text, names = original
            if ids:
                group = next((g for g in inbox.inbox(session, utcnow()) if ids[0] in g["message_ids"]), None)
                predicted = group["predicted"] if group else None
        with data_lock:
            try:
                added = nlu_files.append_example(project, text, intent, names)
            except nlu_files.UnknownIntent as exc:
                return error(400, str(exc))
            except nlu_files.DuplicateExample as exc:
                return response.json({"error": str(exc), "intent": exc.intent, "file": exc.file}, status=409)
            with session_scope(url) as session:
                change = changes.record(session, added.file, added.lines, f"+ {added.example} ({intent})",
                                        user["id"], user["display_name"], utcnow())
                if ids:
                    inbox.decide(session, ids, "confirmed" if intent == predicted else "corrected", intent,
                                 user["id"], utcnow(), change.id)
                change_id = change.id
        return response.json({"file": added.file, "line": added.lines[0][0], "example": added.example,
                              "intent": intent, "change_id": change_id}, status=201, ensure_ascii=False)

    @app.post("/api/staff/nlu/inbox/dismiss")
    @route(write=True)
    async def dismiss(request: Request, user: StaffIdentity):
        ids = message_ids_of(json_body(request))
        if not ids:
            return error(400, "message_ids를 보내 주세요.")
        with session_scope(url) as session:
            n = inbox.decide(session, ids, "dismissed", None, user["id"], utcnow())
        return response.json({"dismissed": n})

    @app.get("/api/staff/nlu/changes")
    @route(write=False)
    async def list_changes(request: Request, user: StaffIdentity):
        with session_scope(url) as session:
            return response.json({"changes": changes.history(session)}, ensure_ascii=False)

    @app.post("/api/staff/nlu/changes/<change_id:int>/revert")
    @route(write=True)
    async def revert_change(request: Request, user: StaffIdentity, change_id: int):
        with data_lock, session_scope(url) as session:
            try:
                removed = changes.revert(session, project, change_id, user["display_name"], utcnow())
            except changes.NotRevertable as exc:
                return error(409, str(exc))
        if removed is None:
            return error(404, "변경 기록을 찾을 수 없어요.")
        return response.json({"change_id": change_id, "removed_lines": removed})

    # --- models -------------------------------------------------------------------------------
    @app.post("/api/staff/model/train")
    @route(write=True)
    async def train(request: Request, user: StaffIdentity):
        try:
            job = trainer.start(user["display_name"])
        except Busy as exc:
            return response.json({"error": str(exc), "job_id": trainer.running().id}, status=409)
        return response.json({"job_id": job.id, "state": job.state}, status=202)

    @app.get("/api/staff/model/jobs")
    @route(write=False)
    async def jobs(request: Request, user: StaffIdentity):
        latest = sorted(trainer.jobs.values(), key=lambda j: j.started_at, reverse=True)[:10]
        return response.json({"jobs": [j.to_dict() for j in latest]}, ensure_ascii=False)

    @app.get("/api/staff/model/jobs/<job_id:str>")
    @route(write=False)
    async def job(request: Request, user: StaffIdentity, job_id: str):
        found = trainer.jobs.get(job_id)
        return response.json(found.to_dict(), ensure_ascii=False) if found else error(404, "학습 작업을 찾을 수 없어요.")

    @app.get("/api/staff/model/models")
    @route(write=False)
    async def models(request: Request, user: StaffIdentity):
        return response.json({"models": switch.available(), "previous": switch.state().get("previous")},
                             ensure_ascii=False)

    async def swap(coro):
        if swap_lock.locked():
            return error(409, "다른 모델로 바꾸는 중이에요. 잠시 후 다시 시도해 주세요.")
        async with swap_lock:
            try:
                return response.json(await coro, ensure_ascii=False)
            except UnknownModel as exc:
                return error(400, str(exc))
            except RasaUnavailable as exc:
                return error(502, f"Rasa가 모델을 불러오지 못했어요: {exc}")

    @app.post("/api/staff/model/activate")
    @route(write=True)
    async def activate(request: Request, user: StaffIdentity):
        model = json_body(request).get("model")
        if not isinstance(model, str):
            return error(400, "모델 이름(model)을 보내 주세요.")
        return await swap(switch.activate(model, user["display_name"]))

    @app.post("/api/staff/model/rollback")
    @route(write=True)
    async def rollback(request: Request, user: StaffIdentity):
        return await swap(switch.rollback(user["display_name"]))
