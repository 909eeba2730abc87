"""The dashboard's figures, computed over the facts derived from the events (SQL, no web imports).

Definitions (also in the README, "Analytics"): the base of every rate is the conversations
*started* in the date range (KST calendar days, both ends included) that *asked something*
(a customer message whose intent is not small talk, or a handoff). Rates are fractions 0..1,
None when their base is empty. The conversation figures add up the day counts (the facts'
contributions per day, bot.analytics.facts.contributions); a seller's are the same sums over
the facts of its own conversations; the agent and seller tables read the ticket facts.

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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.analytics.facts import SMALL_TALK, contributions
from bot.analytics.labels import FAQ_LABELS, INTENT_LABELS, TARGET_LABELS
from bot.analytics.models import ConversationFacts as C, DayCount, TicketFacts as T
from bot.handoff.models import StaffUser
from bot.shop.models import Seller

ABANDON_AFTER = timedelta(minutes=30)
SELLER_DEADLINE = timedelta(hours=24)
TOP = 10
# Top intents are what customers asked about: small talk and answers to the bot's questions are left out.
NOT_TOPICS = sorted(SMALL_TALK | {"inform", "affirm", "deny"})


def rate(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def median(values: Sequence[float]) -> Optional[float]:
    return round(statistics.median(values), 1) if values else None


def day_counts(session: Session, first: date, last: date, seller_id: Optional[int] = None
               ) -> Dict[str, Dict[str, int]]:
    """{day: {key: n}}: the day counts, or for one seller the same sums over its conversations' facts."""
    a, b = first.isoformat(), last.isoformat()
    per_day: Dict[str, Dict[str, int]] = {}
    if seller_id is None:
        for day, key, n in session.execute(select(DayCount.day, DayCount.key, DayCount.n).where(
                DayCount.day >= a, DayCount.day <= b, DayCount.n != 0)):
            per_day.setdefault(day, {})[key] = n
        return per_day
    mine = select(T.conversation_id).where(T.seller_id == seller_id)
    for row in session.execute(select(C.__table__).where(C.day >= a, C.day <= b, C.conversation_id.in_(mine))).mappings():
        counts = per_day.setdefault(row["day"], {})
        for key, n in contributions(row).items():
            counts[key] = counts.get(key, 0) + n
    return per_day


def report(session: Session, first: date, last: date, now: datetime, seller_id: Optional[int] = None,
           abandon_after: timedelta = ABANDON_AFTER) -> Dict[str, Any]:
    a, b = first.isoformat(), last.isoformat()
    per_day = day_counts(session, first, last, seller_id)
    total: Dict[str, int] = {}
    for counts in per_day.values():
        for key, n in counts.items():
            total[key] = total.get(key, 0) + n
    n = lambda key: total.get(key, 0)  # noqa: E731
    # A question is abandoned once it has gone unanswered for `abandon_after`: the day counts hold
    # every unanswered question, the few younger than that are taken off here.
    recent = select(func.count()).where(C.day >= a, C.day <= b, C.asked.is_(True), C.handoff_reason.is_(None),
                                        C.question_pending_at > now - abandon_after)
    if seller_id is not None:
        recent = recent.where(C.conversation_id.in_(select(T.conversation_id).where(T.seller_id == seller_id)))
    abandoned = n("pending") - session.execute(recent).scalar_one()
    conversations, handed_off = n("asked"), n("handed_off")

    def breakdown(prefix: str) -> List[Tuple[str, int]]:
        items = [(key[len(prefix):], v) for key, v in total.items() if key.startswith(prefix) and v]
        return sorted(items, key=lambda kv: (-kv[1], kv[0]))

    result: Dict[str, Any] = {
        "from": a, "to": b,
        "scope": {"seller_id": seller_id},
        "conversations": conversations,
        "conversations_started": n("started"),
        "greetings_only": n("started") - conversations,
        "contained": n("contained"),
        "containment_rate": rate(n("contained"), conversations),
        "handed_off": handed_off,
        "handoff_rate": rate(handed_off, conversations),
        "handoffs_by_reason": [{"reason": r, "count": v, "share": rate(v, handed_off)} for r, v in breakdown("reason:")],
        "handoffs_by_target": [{"target": t, "label": TARGET_LABELS.get(t, t), "count": v, "share": rate(v, handed_off)}
                               for t, v in breakdown("target:")],
        "fallback_rate": rate(n("fallback_messages"), n("messages")),
        "fallback": {"messages": n("messages"), "fallback_messages": n("fallback_messages"),
                     "message_rate": rate(n("fallback_messages"), n("messages")),
                     "conversations": n("fallback_conversations"),
                     "conversation_rate": rate(n("fallback_conversations"), conversations)},
        "abandoned": abandoned,
        "abandonment_rate": rate(abandoned, conversations),
        "abandon_after_minutes": abandon_after.total_seconds() / 60,
        "csat": {"score": rate(n("csat_satisfied"), n("csat_responses")), "responses": n("csat_responses"),
                 "shown": n("csat_shown"), "response_rate": rate(n("csat_responses"), n("csat_shown")),
                 "average": round(n("csat_sum") / n("csat_responses"), 2) if n("csat_responses") else None,
                 "distribution": {str(s): n(f"score:{s}") for s in range(1, 6)}},
        "top_intents": [{"intent": i, "label": INTENT_LABELS.get(i, i), "count": v}
                        for i, v in breakdown("intent:") if i not in NOT_TOPICS][:TOP],
        "faq_topics": [{"topic": t, "label": FAQ_LABELS.get(t, t), "count": v} for t, v in breakdown("topic:")][:TOP],
        "by_day": _by_day(per_day, first, last),
        "by_hour": [{"hour": h, "conversations": n(f"hour:{h}")} for h in range(24)],
    }
    if seller_id is not None:  # a seller's conversations all reached them: the bot's rates say nothing there
        for name in ("containment_rate", "handoff_rate", "fallback_rate", "abandonment_rate"):
            result[name] = None
    ticket_where = [T.day >= a, T.day <= b] + ([T.seller_id == seller_id] if seller_id is not None else [])
    result["agents"] = [] if seller_id is not None else _agents(session, ticket_where)
    result["sellers"] = _sellers(session, ticket_where, now)
    return result


def _by_day(per_day: Dict[str, Dict[str, int]], first: date, last: date) -> List[Dict[str, Any]]:
    days = []
    day = first
    while day <= last:
        c = per_day.get(day.isoformat(), {})
        asked, contained = c.get("asked", 0), c.get("contained", 0)
        days.append({"day": day.isoformat(), "started": c.get("started", 0), "conversations": asked,
                     "contained": contained, "handed_off": c.get("handed_off", 0),
                     "with_fallback": c.get("fallback_conversations", 0), "containment_rate": rate(contained, asked)})
        day += timedelta(days=1)
    return days


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
