"""The dashboard's figures, computed over the facts derived from the events (SQL, no web imports).

Definitions (also in the README, "Analytics"): the base of every rate is the conversations
*started* in the date range (KST calendar days, both ends included) that *asked something*
(a customer message whose intent is not small talk, or a handoff). Rates are fractions 0..1,
None when their base is empty.

    report(session, date(2026, 11, 1), date(2026, 11, 30), now=utcnow())            # agents: everything
    report(session, first, last, now=utcnow(), seller_id=3)                           # one seller's figures
    rows(report_dict, "agents") -> (header, rows)  /  to_csv(report_dict, "agents") -> str
"""
from __future__ import annotations

import csv
import io
import statistics
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.analytics.labels import FAQ_LABELS, INTENT_LABELS, TARGET_LABELS
from bot.analytics.models import AnalyticsEvent, ConversationFacts as C, TicketFacts as T
from bot.clock import KST
from bot.handoff.models import StaffUser
from bot.shop.models import Seller

ABANDON_AFTER = timedelta(minutes=30)
SELLER_DEADLINE = timedelta(hours=24)
TOP = 10


def rate(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def median(values: Sequence[float]) -> Optional[float]:
    return round(statistics.median(values), 1) if values else None


def utc_bounds(first: date, last: date) -> Tuple[datetime, datetime]:
    """[start, end) in naive UTC of the KST days first..last (KST has no daylight saving)."""
    offset = KST.utcoffset(None)
    return (datetime.combine(first, time(0)) - offset,
            datetime.combine(last + timedelta(days=1), time(0)) - offset)


def report(session: Session, first: date, last: date, now: datetime, seller_id: Optional[int] = None,
           abandon_after: timedelta = ABANDON_AFTER) -> Dict[str, Any]:
    a, b = first.isoformat(), last.isoformat()
    conv_where = [C.day >= a, C.day <= b]
    ticket_where = [T.day >= a, T.day <= b]
    if seller_id is not None:
        mine = select(T.conversation_id).where(T.seller_id == seller_id)
        conv_where.append(C.conversation_id.in_(mine))
        ticket_where.append(T.seller_id == seller_id)
    asked = C.asked.is_(True)
    one = lambda cond: func.coalesce(func.sum(case((cond, 1), else_=0)), 0)  # noqa: E731
    cutoff = now - abandon_after
    spoke = or_(C.user_messages > 0, asked)  # a widget opened and left silent is not a conversation
    totals = session.execute(select(
        one(spoke), one(asked), one(and_(asked, C.handoff_reason.is_(None))), one(C.handoff_reason.isnot(None)),
        func.coalesce(func.sum(case((asked, C.user_messages), else_=0)), 0),
        func.coalesce(func.sum(case((asked, C.fallback_messages), else_=0)), 0),
        one(and_(asked, C.fallback_messages > 0)),
        one(and_(asked, C.handoff_reason.is_(None), C.question_pending_at <= cutoff)),
        one(C.csat_shown.is_(True)), one(C.csat_score.isnot(None)), one(C.csat_score >= 4),
        func.avg(C.csat_score),
    ).where(*conv_where)).one()
    (started, conversations, contained, handed_off, messages, fallback_messages, fallback_conversations,
     abandoned, shown, responses, satisfied, average) = [v or 0 for v in totals[:11]] + [totals[11]]

    by_reason = session.execute(select(C.handoff_reason, func.count()).where(
        *conv_where, C.handoff_reason.isnot(None)).group_by(C.handoff_reason).order_by(func.count().desc())).all()
    by_target = session.execute(select(C.handoff_target, func.count()).where(
        *conv_where, C.handoff_reason.isnot(None)).group_by(C.handoff_target).order_by(func.count().desc())).all()
    scores = dict(session.execute(select(C.csat_score, func.count()).where(
        *conv_where, C.csat_score.isnot(None)).group_by(C.csat_score)).all())

    result: Dict[str, Any] = {
        "from": a, "to": b,
        "scope": {"seller_id": seller_id} if seller_id is not None else {"seller_id": None},
        "conversations": conversations,
        "conversations_started": started,
        "greetings_only": started - conversations,
        "contained": contained,
        "containment_rate": rate(contained, conversations),
        "handed_off": handed_off,
        "handoff_rate": rate(handed_off, conversations),
        "handoffs_by_reason": [{"reason": r, "count": n, "share": rate(n, handed_off)} for r, n in by_reason],
        "handoffs_by_target": [{"target": t, "label": TARGET_LABELS.get(t, t), "count": n, "share": rate(n, handed_off)}
                               for t, n in by_target],
        "fallback_rate": rate(fallback_messages, messages),
        "fallback": {"messages": messages, "fallback_messages": fallback_messages,
                     "message_rate": rate(fallback_messages, messages),
                     "conversations": fallback_conversations,
                     "conversation_rate": rate(fallback_conversations, conversations)},
        "abandoned": abandoned,
        "abandonment_rate": rate(abandoned, conversations),
        "abandon_after_minutes": abandon_after.total_seconds() / 60,
        "csat": {"score": rate(satisfied, responses), "responses": responses, "shown": shown,
                 "response_rate": rate(responses, shown),
                 "average": round(float(average), 2) if average is not None else None,
                 "distribution": {str(s): scores.get(s, 0) for s in range(1, 6)}},
    }
    if seller_id is not None:  # a seller's conversations all reached them: the bot's rates say nothing there
        for name in ("containment_rate", "handoff_rate", "fallback_rate", "abandonment_rate"):
            result[name] = None
    result["top_intents"], result["faq_topics"] = _intents(session, first, last, seller_id)
    result["by_day"] = _by_day(session, conv_where, first, last)
    result["by_hour"] = _by_hour(session, conv_where)
    result["agents"] = [] if seller_id is not None else _agents(session, ticket_where)
    result["sellers"] = _sellers(session, ticket_where, now)
    return result


def _intents(session: Session, first: date, last: date, seller_id: Optional[int]):
    start, end = utc_bounds(first, last)
    where = [AnalyticsEvent.kind == "user", AnalyticsEvent.at >= start, AnalyticsEvent.at < end]
    if seller_id is not None:
        where.append(AnalyticsEvent.conversation_id.in_(select(T.conversation_id).where(T.seller_id == seller_id)))
    intents = session.execute(select(AnalyticsEvent.intent, func.count()).where(
        *where, AnalyticsEvent.intent.isnot(None)).group_by(AnalyticsEvent.intent)
        .order_by(func.count().desc(), AnalyticsEvent.intent).limit(TOP)).all()
    topics = session.execute(select(AnalyticsEvent.topic, func.count()).where(
        *where, AnalyticsEvent.topic.isnot(None)).group_by(AnalyticsEvent.topic)
        .order_by(func.count().desc(), AnalyticsEvent.topic).limit(TOP)).all()
    return ([{"intent": i, "label": INTENT_LABELS.get(i, i), "count": n} for i, n in intents],
            [{"topic": t, "label": FAQ_LABELS.get(t, t), "count": n} for t, n in topics])


def _by_day(session: Session, conv_where: list, first: date, last: date) -> List[Dict[str, Any]]:
    asked = C.asked.is_(True)
    one = lambda cond: func.coalesce(func.sum(case((cond, 1), else_=0)), 0)  # noqa: E731
    rows = {r[0]: r for r in session.execute(select(
        C.day, one(asked), one(and_(asked, C.handoff_reason.is_(None))), one(C.handoff_reason.isnot(None)),
        one(and_(asked, C.fallback_messages > 0)), one(or_(C.user_messages > 0, asked)),
    ).where(*conv_where).group_by(C.day)).all()}
    days = []
    day = first
    while day <= last and len(days) < 400:
        key = day.isoformat()
        _, asked_n, contained, handed, fallback, started = rows.get(key, (key, 0, 0, 0, 0, 0))
        days.append({"day": key, "conversations": asked_n, "contained": contained, "handed_off": handed,
                     "with_fallback": fallback, "started": started, "containment_rate": rate(contained, asked_n)})
        day += timedelta(days=1)
    return days


def _by_hour(session: Session, conv_where: list) -> List[Dict[str, Any]]:
    counts = dict(session.execute(select(C.hour, func.count()).where(*conv_where, C.asked.is_(True))
                                  .group_by(C.hour)).all())
    return [{"hour": h, "conversations": counts.get(h, 0)} for h in range(24)]


def _agents(session: Session, ticket_where: list) -> List[Dict[str, Any]]:
    rows = session.execute(select(T.agent_id, T.agent_from, T.agent_first_response_at, T.finished_at)
                           .where(*ticket_where, T.agent_id.isnot(None))).all()
    names = dict(session.execute(select(StaffUser.id, StaffUser.display_name)).all())
    per: Dict[int, Dict[str, list]] = {}
    for agent_id, start, first_response, finished in rows:
        entry = per.setdefault(agent_id, {"tickets": 0, "first": [], "resolution": []})
        entry["tickets"] += 1
        if start and first_response:
            entry["first"].append((first_response - start).total_seconds())
        if start and finished:
            entry["resolution"].append((finished - start).total_seconds())
    return [{"agent_id": agent_id, "name": names.get(agent_id, f"#{agent_id}"), "tickets": e["tickets"],
             "answered": len(e["first"]),
             "first_response_median_s": median(e["first"]),
             "first_response_avg_s": round(sum(e["first"]) / len(e["first"]), 1) if e["first"] else None,
             "resolved": len(e["resolution"]),
             "resolution_median_s": median(e["resolution"])}
            for agent_id, e in sorted(per.items(), key=lambda kv: (-kv[1]["tickets"], kv[0]))]


def _sellers(session: Session, ticket_where: list, now: datetime) -> List[Dict[str, Any]]:
    rows = session.execute(select(T.seller_id, T.opened_at, T.seller_answered_at, T.escalated_at)
                           .where(*ticket_where, T.target == "seller", T.seller_id.isnot(None))).all()
    names = dict(session.execute(select(Seller.id, Seller.name)).all())
    per: Dict[int, Dict[str, Any]] = {}
    for seller_id, opened, answered, escalated in rows:
        e = per.setdefault(seller_id, {"tickets": 0, "due": 0, "within": 0, "times": [], "escalations": 0})
        e["tickets"] += 1
        deadline = opened + SELLER_DEADLINE
        if answered is not None or deadline <= now:  # answered, or its deadline has passed: it counts
            e["due"] += 1
        if answered is not None:
            e["times"].append((answered - opened).total_seconds())
            if answered <= deadline:
                e["within"] += 1
        if escalated is not None:
            e["escalations"] += 1
    return [{"seller_id": seller_id, "name": names.get(seller_id, f"#{seller_id}"), "tickets": e["tickets"],
             "due": e["due"], "answered": len(e["times"]), "answered_within_24h": e["within"],
             "within_24h_rate": rate(e["within"], e["due"]), "median_answer_s": median(e["times"]),
             "escalations": e["escalations"]}
            for seller_id, e in sorted(per.items())]


# --- tables for CSV -----------------------------------------------------------------------
TABLES: Dict[str, Tuple[str, List[Tuple[str, str]]]] = {
    # table: (where in the report, [(field, Korean header)])
    "by_day": ("by_day", [("day", "날짜"), ("started", "시작된 대화"), ("conversations", "문의 대화"),
                          ("contained", "챗봇 해결"), ("handed_off", "상담 연결"), ("with_fallback", "폴백 대화"),
                          ("containment_rate", "자동 해결률")]),
    "by_hour": ("by_hour", [("hour", "시(KST)"), ("conversations", "문의 대화")]),
    "handoffs": ("handoffs_by_reason", [("reason", "사유 코드"), ("label", "사유"), ("count", "건수"), ("share", "비율")]),
    "targets": ("handoffs_by_target", [("target", "대상 코드"), ("label", "대상"), ("count", "건수"), ("share", "비율")]),
    "intents": ("top_intents", [("intent", "인텐트"), ("label", "이름"), ("count", "메시지 수")]),
    "faq": ("faq_topics", [("topic", "주제 코드"), ("label", "주제"), ("count", "메시지 수")]),
    "agents": ("agents", [("agent_id", "상담원 ID"), ("name", "상담원"), ("tickets", "담당 티켓"),
                          ("answered", "응답한 티켓"), ("first_response_median_s", "첫 응답 중앙값(초)"),
                          ("first_response_avg_s", "첫 응답 평균(초)"), ("resolved", "완료한 티켓"),
                          ("resolution_median_s", "해결 시간 중앙값(초)")]),
    "sellers": ("sellers", [("seller_id", "판매자 ID"), ("name", "판매자"), ("tickets", "문의"),
                            ("due", "기한 도래"), ("answered", "답변"), ("answered_within_24h", "24시간 내 답변"),
                            ("within_24h_rate", "24시간 내 답변율"), ("median_answer_s", "답변 시간 중앙값(초)"),
                            ("escalations", "상담원 이관")]),
}


def rows(data: Dict[str, Any], table: str) -> Tuple[List[str], List[List[Any]]]:
    where, columns = TABLES[table]
    header = [title for _, title in columns]
    return header, [["" if item.get(f) is None else item.get(f) for f, _ in columns] for item in data[where]]


def to_csv(data: Dict[str, Any], table: str) -> str:
    """UTF-8 CSV with a BOM, so that spreadsheet programs read the Korean headers right."""
    header, body = rows(data, table)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue()
