"""bot.stack: the endpoints file Rasa is started with, waiting for a process, stopping a group,
and the Supervisor (restart with back-off, stop at any moment) on real child processes."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from bot import stack
from bot.analytics.consumer import SQL_BROKER


@pytest.fixture
def var(tmp_path, monkeypatch):
    monkeypatch.setattr(stack, "VAR", tmp_path)
    return tmp_path


def test_endpoints_on_one_machine_keep_conversations_in_sqlite_under_var(var):
    path = stack.write_endpoints(5055, 5005, env={})
    assert path == var / "endpoints-5005.yml"
    assert path.read_text() == (
        'action_endpoint:\n  url: "http://127.0.0.1:5055/webhook"\n'
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {var / 'trackers.db'}\n"
        f'event_broker:\n  type: {SQL_BROKER}\n  url: "sqlite:///{stack.ROOT}/var/rasa_events.db"\n')


def test_endpoints_with_a_sqlite_tracker_store_elsewhere(var, tmp_path):
    lines = stack.write_endpoints(5055, 5005, env={"TRACKER_STORE_URL": f"sqlite:///{tmp_path}/t.db"}).read_text()
    assert lines.splitlines()[2:6] == ["tracker_store:", "  type: SQL", "  dialect: sqlite", f"  db: {tmp_path}/t.db"]


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
        "  type: bot.rasa_lock.RenewedRedisLockStore\n"
        "  url: cache.internal\n"
        "  port: 6380\n"
        "  db: 2\n"
        "event_broker:\n"
        f"  type: {SQL_BROKER}\n"
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


# --- the Supervisor, with real child processes ----------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def web_child(name: str, tmp_path) -> stack.Child:
    """A child that serves HTTP (its health URL answers), like the real ones."""
    port = free_port()
    return stack.Child(name, [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                       dict(os.environ), f"http://127.0.0.1:{port}/", tmp_path / f"{name}.log", start_timeout=20)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def supervisor(children, tmp_path, **kwargs) -> stack.Supervisor:
    return stack.Supervisor(children, tmp_path / "supervisor.log", out=io.StringIO(), **kwargs)


def wait_until(predicate, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def test_a_killed_child_is_restarted_after_its_back_off_while_the_others_keep_serving(tmp_path):
    clock = Clock()
    sup = supervisor([web_child("actions", tmp_path), web_child("gateway", tmp_path)], tmp_path, clock=clock)
    sup.start()
    try:
        actions, gateway = sup.children
        gateway_pid, killed_pid = gateway.proc.pid, actions.proc.pid
        os.kill(killed_pid, signal.SIGKILL)
        actions.proc.wait()
        sup.check()
        assert actions.proc is None and actions.restart_at == clock.now + 1
        clock.now += 0.5
        sup.check()
        assert actions.proc is None, "not before its back-off"
        assert stack.answers(gateway.health_url), "the others keep serving"
        clock.now += 0.5
        sup.check()
        assert actions.proc is not None and actions.proc.pid != killed_pid and actions.restarts == 1
        wait_until(lambda: (sup.check(), actions.serving)[1])
        assert stack.answers(actions.health_url) and gateway.proc.pid == gateway_pid
        log = (tmp_path / "supervisor.log").read_text().splitlines()
        assert [line.split("supervisor: ")[1].split(" (")[0].split(",")[0] for line in log] == [
            "actions exited with code -9 after 0.0 s; restarting in 1 s", "actions restarted",
            "actions serves again"]
        assert sup.out.getvalue().splitlines() == log, "on stdout as well"
        assert [r["name"] for r in sup.recoveries] == ["actions"]
    finally:
        sup.stop()
    assert all(c.proc.poll() is not None for c in sup.children)


def test_back_off_doubles_up_to_its_maximum_and_a_stable_run_resets_it(tmp_path):
    clock = Clock()
    crasher = stack.Child("rasa", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ),
                          "http://127.0.0.1:9/", tmp_path / "rasa.log")
    sup = supervisor([crasher], tmp_path, clock=clock, min_backoff=1, max_backoff=4, stable_after=60)
    sup._spawn(crasher, append=False)
    delays = []
    for _ in range(5):
        crasher.proc.wait()
        sup.check()
        delays.append(crasher.restart_at - clock.now)
        clock.now = crasher.restart_at
        sup.check()  # restarts it
    assert delays == [1, 2, 4, 4, 4] and crasher.restarts == 5
    crasher.proc.wait()
    clock.now += 60  # it ran a long time before this death
    sup.check()
    assert crasher.restart_at - clock.now == 1
    sup.stop()
    assert "rasa exited with code 3" in (tmp_path / "supervisor.log").read_text()


def test_a_stop_during_start_up_stops_every_child_started_so_far(tmp_path):
    silent = stack.Child("rasa", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ),
                         f"http://127.0.0.1:{free_port()}/", tmp_path / "rasa.log", start_timeout=60)
    sup = supervisor([web_child("actions", tmp_path), silent, web_child("gateway", tmp_path)], tmp_path)
    threading.Timer(1.0, sup.stopping.set).start()  # as the SIGTERM handler does
    started = time.time()
    with pytest.raises(stack.Stopped):
        sup.start()
    assert time.time() - started < 10
    assert len(sup.procs) == 3 and all(p.poll() is not None for p in sup.procs)


def test_no_restart_after_stop(tmp_path):
    clock = Clock()
    sup = supervisor([web_child("actions", tmp_path)], tmp_path, clock=clock)
    sup.start()
    child = sup.children[0]
    os.kill(child.proc.pid, signal.SIGKILL)
    child.proc.wait()
    sup.check()
    sup.stop()
    clock.now += 100
    sup.check()
    assert child.proc is None and child.restarts == 0


def test_a_child_that_dies_during_start_up_is_reported_with_the_end_of_its_log(tmp_path):
    broken = stack.Child("rasa", [sys.executable, "-c", "print('rasa: error: argument --auth-token: expected one "
                                  "argument'); raise SystemExit(2)"], dict(os.environ), "http://127.0.0.1:9/",
                         tmp_path / "rasa.log")
    sup = supervisor([broken], tmp_path)
    with pytest.raises(SystemExit, match="(?s)rasa exited with code 2.*expected one argument"):
        sup.start()


def test_the_supervisor_watches_in_the_background_and_stops(tmp_path):
    sup = supervisor([web_child("gateway", tmp_path)], tmp_path, min_backoff=0.1)
    sup.start().watch_in_background()
    child = sup.children[0]
    first = child.proc.pid
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: child.proc is not None and child.proc.pid != first and child.serving)
    sup.stop()
    assert child.proc.poll() is not None and not sup._thread.is_alive()


def test_rasa_is_started_without_the_token_in_its_arguments(var):
    token = "-starts-with-a-dash"
    children = stack.stack_children([8000], [5005], [5055], "models", {"PATH": "/bin"}, token)
    rasa = next(c for c in children if c.name == "rasa5005")
    assert not any(token in arg for arg in rasa.argv)
    assert rasa.argv[1:4] == ["-m", "bot.rasa_server", "run"] and rasa.env["RASA_TOKEN"] == token
    assert all(not any(token in arg for arg in c.argv) for c in children)


def test_a_scaled_stack_pairs_each_rasa_with_an_action_server_and_each_gateway_with_every_rasa(var):
    children = stack.stack_children([8000, 8001], [5005, 5006], [5055, 5056], "models", {"PATH": "/bin"}, "t")
    assert [c.name for c in children] == ["actions5055", "actions5056", "rasa5005", "rasa5006",
                                          "gateway8000", "gateway8001"]
    assert 'url: "http://127.0.0.1:5055/webhook"' in (var / "endpoints-5005.yml").read_text()
    assert 'url: "http://127.0.0.1:5056/webhook"' in (var / "endpoints-5006.yml").read_text()
    gateways = [c for c in children if c.name.startswith("gateway")]
    assert [c.argv[-1] for c in gateways] == ["8000", "8001"]
    assert {c.env["RASA_URL"] for c in gateways} == {"http://127.0.0.1:5005,http://127.0.0.1:5006"}
    assert len({c.log for c in children}) == len(children)


def test_one_of_each_keeps_the_plain_names(var):
    children = stack.stack_children([8000], [5005, 5006, 5007], [5055], "models", {"PATH": "/bin"}, "t")
    assert [c.name for c in children] == ["actions", "rasa5005", "rasa5006", "rasa5007", "gateway"]
    assert all('url: "http://127.0.0.1:5055/webhook"' in (var / f"endpoints-{p}.yml").read_text()
               for p in (5005, 5006, 5007))


def test_the_sqlite_tracker_store_is_in_wal_mode_before_rasa_opens_it(var, tmp_path):
    import sqlite3

    stack.write_endpoints(5055, 5005, env={})
    stack.write_endpoints(5055, 5006, env={"TRACKER_STORE_URL": f"sqlite:///{tmp_path}/elsewhere/t.db"})
    for path in (var / "trackers.db", tmp_path / "elsewhere" / "t.db"):
        conn = sqlite3.connect(path)  # a fresh connection, as Rasa's: the mode is the file's
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        conn.close()


def test_the_preparation_runs_while_the_first_children_start_and_before_any_gateway(tmp_path):
    sup = supervisor([web_child("actions", tmp_path), web_child("rasa5005", tmp_path),
                      web_child("gateway8000", tmp_path), web_child("gateway8001", tmp_path)], tmp_path)
    seen = []

    def prepare():
        seen.append([c.name for c in sup.children if c.proc is not None])

    sup.start(prepare)
    try:
        assert seen == [["actions", "rasa5005"]]
        assert all(c.serving for c in sup.children)
    finally:
        sup.stop()


def test_a_failed_preparation_stops_the_children_already_started(tmp_path):
    sup = supervisor([web_child("actions", tmp_path), web_child("gateway", tmp_path)], tmp_path)

    def prepare():
        raise RuntimeError("the database is not reachable")

    with pytest.raises(RuntimeError, match="not reachable"):
        sup.start(prepare)
    actions, gateway = sup.children
    assert actions.proc.poll() is not None and gateway.proc is None


SUPERVISOR_SCRIPT = """
import io, os, signal, sys, time
from pathlib import Path
from bot import stack
port, log = int(sys.argv[1]), Path(sys.argv[2])
child = stack.Child("gateway", [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                    dict(os.environ), f"http://127.0.0.1:{port}/", log.parent / "gateway.log", start_timeout=20)
sup = stack.Supervisor([child], log, out=io.StringIO(), min_backoff=0.1)
sup.start().watch_in_background()
print(child.proc.pid, flush=True)
first = child.proc.pid
os.kill(first, signal.SIGKILL)  # restarted by the supervising thread
while child.proc is None or child.proc.pid == first or not child.serving:
    time.sleep(0.05)
print(child.proc.pid, flush=True)
time.sleep(120)
"""


def test_children_stop_when_the_supervisor_is_killed(tmp_path):
    """A SIGKILL to `python -m bot run` leaves no child serving on its port (neither one started
    at start-up nor one the supervising thread restarted)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SUPERVISOR_SCRIPT, str(port), str(tmp_path / "sup.log")],
                            cwd=stack.ROOT, stdout=subprocess.PIPE, text=True)
    try:
        first, restarted = int(proc.stdout.readline()), int(proc.stdout.readline())
        assert first != restarted and stack.answers(f"http://127.0.0.1:{port}/")
        proc.kill()
        proc.wait()

        def gone() -> bool:
            try:
                os.kill(restarted, 0)
            except ProcessLookupError:
                return True
            return False

        wait_until(gone, timeout=10)
        assert not stack.answers(f"http://127.0.0.1:{port}/", timeout=0.5)
    finally:
        proc.kill()
