"""bot.profile: py-spy samples sorted into the components of a turn, shares and ms per message."""
from __future__ import annotations

import pytest

from bot import profile

RASA = "serve (sanic/server/runners.py:155);handle_message (rasa/core/processor.py:157);"


@pytest.mark.parametrize("stack, expected", [
    (RASA + "_parse_message_with_graph (rasa/core/processor.py:700);process (rasa/nlu/selectors/response_selector.py:531);"
            "_predict (rasa/nlu/classifiers/diet_classifier.py:1000)", "ResponseSelector"),
    (RASA + "_parse_message_with_graph (rasa/core/processor.py:700);process (rasa/nlu/classifiers/diet_classifier.py:1049)",
     "DIET"),
    (RASA + "_parse_message_with_graph (rasa/core/processor.py:700);process (bot/nlp/kiwi_tokenizer.py:80)",
     "tokenizer (Kiwi)"),
    (RASA + "save (rasa/core/tracker_store.py:1330);stream_events (rasa/core/tracker_store.py:322);"
            "publish (bot/analytics/rasa_broker.py:50)", "event broker"),
    (RASA + "save (rasa/core/tracker_store.py:1330);commit (sqlalchemy/orm/session.py:1400)", "tracker store (read, write)"),
    ("receive (bot/rasa_channel.py:70);_answered (bot/rasa_channel.py:93);retrieve (rasa/core/tracker_store.py:1254)",
     "retry check (tracker read)"),
    (RASA + "_predict_next_with_tracker (rasa/core/processor.py:900);_predict (rasa/core/policies/rule_policy.py:1)",
     "policies"),
    (RASA + "_run_action (rasa/core/processor.py:950);run (rasa/core/actions/action.py:780)", "action server call"),
    (RASA + "dumps (json/__init__.py:231)", "HTTP, JSON, the rest"),
])
def test_rasa_samples_go_to_the_most_specific_component(stack, expected):
    assert profile.component("rasa", stack) == expected


def test_gateway_and_actions_components():
    assert profile.component("gateway", "run_consumer (bot/analytics/consumer.py:150);commit (sqlalchemy/orm/session.py:1)") \
        == "analytics consumer"
    assert profile.component("gateway", "_turn (bot/conversation/service.py:150);commit (sqlalchemy/orm/session.py:1)") \
        == "database (SQLAlchemy, SQLite)"
    assert profile.component("actions", "run (actions/status.py:20);find (actions/lookup.py:40)") == "actions' code"
    assert profile.component("actions", "run (actions/status.py:20);execute (sqlalchemy/orm/session.py:1)") \
        == "shop database (SQLAlchemy, SQLite)"


def test_busy_samples_leave_the_waiting_event_loop_out_and_the_report(tmp_path):
    raw = ["a (x.py:1);commit (sqlalchemy/orm/session.py:1) 30", "run_consumer (bot/analytics/consumer.py:1) 10",
           "main (bot/cli.py:1);serve (sanic/server/runners.py:155) 500", "main (bot/cli.py:1);serve (sanic/app.py:1) 60",
           "_bootstrap (threading.py:1);_worker (concurrent/futures/thread.py:81) 900",
           "", "garbage"]
    assert profile.busy_samples("gateway", raw) == {"analytics consumer": 10, "database (SQLAlchemy, SQLite)": 30,
                                                    "Rasa client": 0, "HTTP, JSON, the rest": 60}
    (tmp_path / "gateway.txt").write_text("\n".join(raw) + "\n")
    assert profile.report(tmp_path, 20, {"gateway": 55.0}) == [  # 100 busy samples = 1 s over 20 messages
        "  gateway: busy 50.0 ms per message (CPU 55.0 ms)",
        "    HTTP, JSON, the rest               60.0 %   30.0 ms",
        "    database (SQLAlchemy, SQLite)      30.0 %   15.0 ms",
        "    analytics consumer                 10.0 %    5.0 ms",
        "    Rasa client                         0.0 %    0.0 ms",
    ]
