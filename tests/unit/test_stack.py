"""bot.stack: the endpoints file Rasa is started with, waiting for a process, stopping a group."""
from __future__ import annotations

import subprocess
import sys

import pytest

from bot import stack


@pytest.fixture
def var(tmp_path, monkeypatch):
    monkeypatch.setattr(stack, "VAR", tmp_path)
    return tmp_path


def test_endpoints_on_one_machine_name_only_the_action_server(var):
    path = stack.write_endpoints(5055, 5005, env={})
    assert path == var / "endpoints-5005.yml"
    assert path.read_text() == ('action_endpoint:\n  url: "http://127.0.0.1:5055/webhook"\n'
                                f'event_broker:\n  type: SQL\n  url: "sqlite:///{stack.ROOT}/var/rasa_events.db"\n')


def test_endpoints_with_shared_tracker_and_lock_stores(var):
    env = {"TRACKER_STORE_URL": "postgresql://rasa:s3cret@db.internal:6543/tracker",
           "REDIS_URL": "redis://cache.internal:6380/2"}
    path = stack.write_endpoints(6055, 6005, env=env)
    assert path.read_text() == (
        "action_endpoint:\n"
        '  url: "http://127.0.0.1:6055/webhook"\n'
        "tracker_store:\n"
        "  type: SQL\n"
        "  dialect: postgresql\n"
        "  url: db.internal\n"
        "  port: 6543\n"
        "  db: tracker\n"
        "  username: rasa\n"
        "  password: s3cret\n"
        "lock_store:\n"
        "  type: redis\n"
        "  url: cache.internal\n"
        "  port: 6380\n"
        "  db: 2\n"
        "event_broker:\n"
        "  type: SQL\n"
        '  url: "sqlite:///{}/var/rasa_events.db"\n'.format(stack.ROOT)
    )


def test_endpoints_default_ports_and_redis_database(var):
    env = {"TRACKER_STORE_URL": "postgresql://postgres@127.0.0.1/rasa", "REDIS_URL": "redis://127.0.0.1"}
    lines = stack.write_endpoints(5055, 5005, env=env).read_text().splitlines()
    assert "  port: 5432" in lines and "  username: postgres" in lines and "  password: " in lines
    lock = lines.index("lock_store:")
    assert lines[lock + 2:lock + 5] == ["  url: 127.0.0.1", "  port: 6379", "  db: 0"]


def test_wait_for_stops_when_the_process_has_exited(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait()
    with pytest.raises(SystemExit, match="demo exited with code 3"):
        stack.wait_for("http://127.0.0.1:9/", proc, "demo", timeout=5)


def test_stop_stack_ends_a_process_group(tmp_path):
    proc = stack.spawn("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], {}, tmp_path / "sleeper.log")
    stack.stop_stack([proc])
    assert proc.poll() is not None
