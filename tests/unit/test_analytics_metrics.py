"""bot.analytics.events + metrics on a real database: hand-built events in, exact figures out;
storing the same events again changes nothing; a seller sees only its own figures; CSV."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import db as bot_db
from bot.analytics import events, metrics
from bot.analytics.models import AnalyticsEvent, DayCount, TicketFacts

DAY = date(2026, 11, 26)
T0 = datetime(2026, 11, 26, 1, 0)  # naive UTC, 10:00 KST on DAY
NOW = T0 + timedelta(hours=30)


def row(key, conversation_id, kind, minute, **fields):
    return dict({f: None for f in events.FIELDS}, key=key, conversation_id=conversation_id, kind=kind,
                at=T0 + timedelta(minutes=minute), **fields)


def conversation(n: int, shape: str, seller_id=None, score=None) -> list:
    c = f"{shape}{n}"
    out = [row(f"{c}:start", c, "conversation_started", 0)]
    say = lambda i, m, intent, **f: out.append(row(f"{c}:u{i}", c, "user", m, intent=intent, **f))  # noqa: E731
    bot = lambda i, m, name, q=False: out.append(row(f"{c}:b{i}", c, "bot", m, name=name, data={"question": q}))  # noqa: E731
    if shape == "resolved":
        say(1, 1, "check_order_status")
        bot(1, 1.1, "utter_status")
        bot(2, 1.2, "utter_anything_else", True)
        say(2, 2, "goodbye")
        bot(3, 2.1, "utter_goodbye")
    elif shape == "greeting":
        say(1, 1, "greet")
        bot(1, 1.1, "utter_greet", True)
    elif shape == "fallback":
        say(1, 1, "nlu_fallback")
        out.append(row(f"{c}:a1", c, "action", 1.1, name="action_fallback"))
        say(2, 2, "faq", topic="faq/payment")
        bot(2, 2.1, "utter_faq")
    elif shape == "abandoned":
        say(1, 1, "cancel_order")
        bot(1, 1.1, "utter_choose_order", True)
    elif shape in ("requested", "cancel_request"):
        say(1, 1, "request_human" if shape == "requested" else "cancel_order")
        target = "seller" if seller_id else "agent"
        ticket = (100 if target == "agent" else 200) + n
        out.append(row(f"{c}:h", c, "handoff", 2, ticket_id=ticket, target=target, reason=shape, seller_id=seller_id))
        if target == "agent":
            out.append(row(f"{c}:r", c, "ticket_replied", 2 + n, ticket_id=ticket, staff_id=1, role="agent"))
            out.append(row(f"{c}:f", c, "ticket_closed", 12 + n, ticket_id=ticket, staff_id=1, role="agent"))
        elif n % 2:
            out.append(row(f"{c}:r", c, "ticket_replied", 2 + 60 * n, ticket_id=ticket, staff_id=3, role="seller"))
        else:
            out.append(row(f"{c}:e", c, "ticket_escalated", 2 + 24 * 60, ticket_id=ticket, seller_id=seller_id))
    if score:
        out.append(row(f"{c}:cs", c, "csat_shown", 30))
        if score > 0:
            out.append(row(f"{c}:c", c, "csat", 31, score=score))
    return out


@pytest.fixture
def store(new_db_url):
    from bot.demo import seed

    url = new_db_url()
    with bot_db.session_scope(url) as s:
        seed(s, T0)  # staff and sellers for the names (and three weeks of history, before DAY)
    every = (
        [e for n in range(4) for e in conversation(n, "resolved", score=[5, 4, 2, -1][n])]
        + [e for n in range(2) for e in conversation(n, "greeting")]
        + [e for n in range(2) for e in conversation(n, "fallback")]
        + conversation(0, "abandoned")
        + [e for n in range(2) for e in conversation(n, "requested", score=5 if n == 0 else None)]
        + [e for n in range(1, 3) for e in conversation(n, "cancel_request", seller_id=2)]
    )
    with bot_db.session_scope(url) as s:
        assert events.store(s, every) == len(every)
    return url, every


def figures(url, **kw):
    with bot_db.session_scope(url) as s:
        return metrics.report(s, DAY, DAY, NOW, **kw)


def test_exact_figures(store):
    url, _ = store
    r = figures(url)
    # asked: 4 resolved + 2 fallback + 1 abandoned + 2 requested + 2 seller = 11; greetings: 2
    assert (r["conversations"], r["conversations_started"], r["greetings_only"]) == (11, 13, 2)
    assert (r["contained"], r["containment_rate"]) == (7, round(7 / 11, 4))
    assert (r["handed_off"], r["handoff_rate"]) == (4, round(4 / 11, 4))
    assert [(h["reason"], h["count"]) for h in r["handoffs_by_reason"]] == [("cancel_request", 2), ("requested", 2)]
    assert [(h["target"], h["count"]) for h in r["handoffs_by_target"]] == [("agent", 2), ("seller", 2)]
    # messages of asked conversations: 4x2 + 2x2 + 1 + 2 + 2 = 17; two got the fallback
    assert r["fallback"] == {"messages": 17, "fallback_messages": 2, "message_rate": round(2 / 17, 4),
                             "conversations": 2, "conversation_rate": round(2 / 11, 4)}
    assert r["fallback_rate"] == round(2 / 17, 4)
    assert (r["abandoned"], r["abandonment_rate"]) == (1, round(1 / 11, 4))
    assert r["csat"] == {"score": 0.75, "responses": 4, "shown": 5, "response_rate": 0.8, "average": 4.0,
                         "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 2}}
    assert [(i["intent"], i["count"]) for i in r["top_intents"]] == [
        ("check_order_status", 4), ("cancel_order", 3), ("nlu_fallback", 2), ("request_human", 2)]
    assert r["faq_topics"] == [{"topic": "faq/payment", "label": "결제 수단·영수증", "count": 2}]
    assert r["by_day"] == [{"day": "2026-11-26", "started": 13, "conversations": 11, "contained": 7, "handed_off": 4,
                            "with_fallback": 2, "containment_rate": round(7 / 11, 4)}]
    assert r["by_hour"][10] == {"hour": 10, "conversations": 11} and sum(h["conversations"] for h in r["by_hour"]) == 11
    [agent] = r["agents"]
    assert (agent["name"], agent["tickets"], agent["first_response_median_s"], agent["resolution_median_s"]) == (
        "김하늘", 2, 30.0, 630.0)  # replies after 0 and 1 min, closes after 10 and 11 min
    [seller] = r["sellers"]
    assert {k: seller[k] for k in ("seller_id", "tickets", "due", "answered", "answered_within_24h",
                                   "within_24h_rate", "median_answer_s", "escalations")} == {
        "seller_id": 2, "tickets": 2, "due": 2, "answered": 1, "answered_within_24h": 1, "within_24h_rate": 0.5,
        "median_answer_s": 3600.0, "escalations": 1}


def test_storing_again_or_rebuilding_changes_nothing(store):
    url, every = store
    before = figures(url)
    with bot_db.session_scope(url) as s:
        assert events.store(s, every) == 0
        events.refresh(s, {e["conversation_id"] for e in every})
        counts = s.execute(select(func.count()).select_from(AnalyticsEvent)).scalar_one()
    assert figures(url) == before
    with bot_db.session_scope(url) as s:
        assert s.execute(select(func.count()).select_from(AnalyticsEvent)).scalar_one() == counts


def test_a_new_event_moves_the_day_counts_from_old_facts_to_new(store):
    url, _ = store
    with bot_db.session_scope(url) as s:  # the abandoned conversation gets an answer and a handoff
        events.store(s, [row("x1", "abandoned0", "user", 5, intent="request_human"),
                         row("x2", "abandoned0", "handoff", 6, ticket_id=999, target="agent", reason="requested")])
    r = figures(url)
    assert (r["contained"], r["handed_off"], r["abandoned"]) == (6, 5, 0)
    with bot_db.session_scope(url) as s:
        assert s.get(DayCount, ("2026-11-26", "pending")).n == 0
        assert s.get(TicketFacts, 999).reason == "requested"


def test_two_processes_storing_events_of_one_conversation_at_once_both_succeed(store):
    """Two gateways (a request, an event consumer) rebuilding one conversation's facts at once:
    the second waits for the first instead of inserting the same facts row (PostgreSQL)."""
    import threading

    url, _ = store
    if not url.startswith("postgresql"):
        pytest.skip("concurrent writers: PostgreSQL only (SQLite has one writer at a time)")
    first = bot_db.make_session(url)
    try:
        events.store(first, [row("p1", "parallel0", "conversation_started", 0)])  # not committed yet
        outcome = {}

        def second():
            try:
                with bot_db.session_scope(url) as s:
                    outcome["stored"] = events.store(s, [row("p2", "parallel0", "user", 1, intent="greet")])
            except Exception as exc:  # what the unique facts row did without the lock
                outcome["error"] = exc

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive(), "the second rebuild waits for the first transaction"
        first.commit()
        thread.join(10)
    finally:
        first.close()
    assert outcome == {"stored": 1}
    with bot_db.session_scope(url) as s:
        kinds = s.execute(select(AnalyticsEvent.kind).where(AnalyticsEvent.conversation_id == "parallel0")
                          .order_by(AnalyticsEvent.at)).scalars().all()
        facts_rows = s.execute(select(func.count()).select_from(events.ConversationFacts)
                               .where(events.ConversationFacts.conversation_id == "parallel0")).scalar_one()
    assert (kinds, facts_rows) == (["conversation_started", "user"], 1)


def test_abandonment_waits_for_the_timeout(store):
    url, _ = store
    with bot_db.session_scope(url) as s:
        early = metrics.report(s, DAY, DAY, T0 + timedelta(minutes=20), abandon_after=timedelta(minutes=30))
        late = metrics.report(s, DAY, DAY, T0 + timedelta(minutes=40), abandon_after=timedelta(minutes=30))
    assert (early["abandoned"], late["abandoned"]) == (0, 1)


def test_a_seller_sees_only_its_own_figures(store):
    url, _ = store
    mine = figures(url, seller_id=2)
    assert (mine["conversations"], mine["handed_off"], mine["agents"]) == (2, 2, [])
    assert [s["seller_id"] for s in mine["sellers"]] == [2]
    assert mine["containment_rate"] is None and mine["handoff_rate"] is None
    assert [(h["reason"], h["count"]) for h in mine["handoffs_by_reason"]] == [("cancel_request", 2)]
    other = figures(url, seller_id=1)
    assert (other["conversations"], other["sellers"], other["handoffs_by_reason"]) == (0, [], [])


def test_csv_of_a_table(store):
    url, _ = store
    text = metrics.to_csv(figures(url), "handoffs")
    assert text.startswith("\ufeff사유 코드,사유,건수,비율\r\n")
    assert text.splitlines()[1:] == ["cancel_request,,2,0.5", "requested,,2,0.5"]  # labels come from the API
