"""Starting, supervising and stopping the processes of the product: action server(s), Rasa
server(s), gateway(s).

Used by `python -m bot run`, by `python -m bot bench` and by the real-stack tests
(tests/stack.py). Each process runs in its own session, logs to var/logs/, and is
stopped as a process group. A Supervisor restarts a child that dies, with back-off,
while the others keep serving, and says so on stdout and in var/logs/supervisor-<port>.log.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional, TextIO, Union

from bot.analytics.consumer import endpoint_lines as event_broker_lines
from bot.db import ROOT, VAR

LOGS = VAR / "logs"


def write_endpoints(action_port: int, rasa_port: int, env: Optional[Mapping[str, str]] = None) -> Path:
    """Endpoints for these Rasa instances. Conversations are kept in Rasa's SQL tracker store,
    so a restarted Rasa continues them: SQLite under var/ by default, TRACKER_STORE_URL
    (PostgreSQL in production, or another sqlite:/// file) when set."""
    env = os.environ if env is None else env
    lines = ["action_endpoint:", f'  url: "http://127.0.0.1:{action_port}/webhook"']
    tracker_url = env.get("TRACKER_STORE_URL") or f"sqlite:///{VAR / 'trackers.db'}"
    lines += tracker_store(tracker_url)
    if tracker_url.startswith("sqlite:///"):
        sqlite_wal(Path(tracker_url[len("sqlite:///"):]))
    redis_url = env.get("REDIS_URL")  # e.g. redis://127.0.0.1:6379/0
    if redis_url:
        from urllib.parse import urlparse

        r = urlparse(redis_url)
        # Rasa's Redis lock store, with tickets renewed by their holder and changed atomically
        lines += ["lock_store:", "  type: bot.rasa_lock.RenewedRedisLockStore", f"  url: {r.hostname}",
                  f"  port: {r.port or 6379}", f"  db: {(r.path or '/0').strip('/') or 0}"]
    lines += event_broker_lines(env)  # SQL broker on SQLite by default, Pika with EVENT_BROKER_URL=amqp://
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / f"endpoints-{rasa_port}.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def sqlite_wal(path: Path) -> None:
    """A SQLite file in WAL mode, which stays with the file, for Rasa's tracker store (Rasa opens
    it in the default rollback-journal mode): a commit is one append to the log and one sync
    instead of a journal written, synced and deleted each turn, and reads do not wait for writes."""
    import sqlite3
    from contextlib import closing

    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=30)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def tracker_store(url: str) -> List[str]:
    """Rasa's SQL tracker store section for a database URL (sqlite:///file or postgresql://...)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.drivername.startswith("sqlite"):
        return ["tracker_store:", "  type: SQL", "  dialect: sqlite", f"  db: {u.database}"]
    return ["tracker_store:", "  type: SQL", f"  dialect: {u.drivername}", f"  url: {u.host}",
            f"  port: {u.port or 5432}", f"  db: {u.database}", f"  username: {u.username or ''}",
            f"  password: {u.password or ''}"]


def spawn(name: str, argv: List[str], env: Mapping[str, str], log: Path, append: bool = False) -> subprocess.Popen:
    """One process in its own session (so that it can be stopped with its children), output to
    `log`. It is sent SIGTERM when the process that started it dies, however it dies (a SIGKILL
    to `python -m bot run` would otherwise leave the children serving on their ports)."""
    with open(log, "a" if append else "w") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_terminate_with_parent(os.getpid()))


def _terminate_with_parent(parent: int) -> Optional[Callable[[], None]]:
    """Linux's parent-death signal, set in the child between fork and exec. It follows the thread
    that started the child: the Supervisor starts and restarts its children from the thread that
    supervises, which lives as long as it does."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    pr_set_pdeathsig = 1

    def set_signal() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM))
        if os.getppid() != parent:  # the parent died before the signal was set
            os._exit(1)

    return set_signal


def answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status < 500
    except Exception:
        return False


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_for(url: str, proc: subprocess.Popen, name: str, timeout: float,
             stopping: Optional[threading.Event] = None, log: Optional[Path] = None) -> None:
    """Until `url` answers below 500; SystemExit if the process ends or time runs out first,
    Stopped if `stopping` is set meanwhile."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if stopping is not None and stopping.is_set():
            raise Stopped()
        if proc.poll() is not None:
            tail = log_tail(log) if log else ""
            raise SystemExit(f"{name} exited with code {proc.returncode}; see {log or LOGS}"
                             + (f"\n{tail}" if tail else ""))
        if answers(url):
            return
        time.sleep(0.5)
    raise SystemExit(f"{name} did not answer at {url} within {timeout:.0f} s")


class Stopped(Exception):
    """A stop was asked for (SIGTERM, Ctrl-C) while the stack was starting."""


@dataclass
class Child:
    """One supervised process: how to start it and how to tell that it serves."""

    name: str
    argv: List[str]
    env: Dict[str, str]
    health_url: str
    log: Path
    start_timeout: float = 120.0
    proc: Optional[subprocess.Popen] = None
    started_at: float = 0.0
    restarts: int = 0
    failures: int = 0  # deaths in a row without a stable run in between: the back-off exponent
    restart_at: Optional[float] = None  # when a dead child is due to start again
    down_since: Optional[float] = None  # when it died, until it answers again
    serving: bool = False


@dataclass
class Supervisor:
    """Starts the children, restarts any that dies (back-off 1, 2, 4 … max_backoff s; a run
    longer than `stable_after` s resets it) while the others keep serving, and stops them all.

    `stopping` may be set from a signal handler at any moment, start-up included: the
    start-up returns through Stopped and every child started so far is stopped."""

    children: List[Child]
    log_path: Optional[Path] = None
    min_backoff: float = 1.0
    max_backoff: float = 30.0
    stable_after: float = 60.0
    out: Optional[TextIO] = None  # default sys.stdout
    stopping: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.monotonic
    recoveries: List[Dict[str, float]] = field(default_factory=list)  # {name, down_s}, for reports

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._thread: Optional[threading.Thread] = None

    # --- reporting ---------------------------------------------------------------------
    def say(self, text: str) -> None:
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} supervisor: {text}"
        print(line, file=self.out or sys.stdout, flush=True)
        if self.log_path is not None:
            with open(self.log_path, "a") as log:
                log.write(line + "\n")

    # --- starting ----------------------------------------------------------------------
    def _spawn(self, child: Child, append: bool) -> None:
        child.proc = spawn(child.name, child.argv, child.env, child.log, append=append)
        child.started_at = self.clock()
        child.serving = False

    def start(self, prepare: Optional[Callable[[], None]] = None, before: str = "gateway") -> "Supervisor":
        """Start every child and wait until each answers. SystemExit (with the end of its log)
        if one dies or stays silent; Stopped if asked to stop. Either way all are stopped.

        `prepare` (the database migration, say) runs after the children that do not need it
        have been started, so it overlaps their start-up, and before the first child whose name
        begins with `before`."""
        try:
            with self._lock:
                for child in self.children:
                    if prepare is not None and child.name.startswith(before):
                        prepare()
                        prepare = None
                    if self.stopping.is_set():
                        raise Stopped()
                    self._spawn(child, append=False)
                if prepare is not None:
                    prepare()
            for child in self.children:
                wait_for(child.health_url, child.proc, child.name, child.start_timeout, self.stopping, child.log)
                child.serving = True
        except BaseException:
            self.stop()
            raise
        return self

    # --- supervising --------------------------------------------------------------------
    def check(self) -> None:
        """One round: notice deaths, restart the children that are due, notice recoveries."""
        with self._lock:
            if self.stopping.is_set():
                return
            now = self.clock()
            for child in self.children:
                if child.proc is not None and child.proc.poll() is not None:
                    self._died(child, now)
                elif child.proc is None and child.restart_at is not None and now >= child.restart_at:
                    child.restart_at = None
                    child.restarts += 1
                    self._spawn(child, append=True)
                    self.say(f"{child.name} restarted (pid {child.proc.pid}, restart {child.restarts})")
        for child in self.children:  # outside the lock: a health check may take a moment
            proc = child.proc
            if proc is not None and not child.serving and proc.poll() is None and answers(child.health_url, 1.0):
                child.serving = True
                if child.down_since is not None:
                    down = self.clock() - child.down_since
                    child.down_since = None
                    self.recoveries.append({"name": child.name, "down_s": down})
                    self.say(f"{child.name} serves again, {down:.1f} s after it went down")

    def _died(self, child: Child, now: float) -> None:
        code, ran = child.proc.returncode, now - child.started_at
        try:  # whatever it left behind in its group goes too, and frees the port
            os.killpg(child.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if ran >= self.stable_after:
            child.failures = 0
        delay = min(self.max_backoff, self.min_backoff * 2 ** child.failures)
        child.failures += 1
        child.proc, child.serving = None, False
        child.restart_at = now + delay
        if child.down_since is None:
            child.down_since = now
        self.say(f"{child.name} exited with code {code} after {ran:.1f} s; restarting in {delay:g} s "
                 f"(see {child.log})")

    def watch(self, interval: float = 0.25) -> None:
        """Supervise until stop() (or `stopping`), then stop every child."""
        try:
            while not self.stopping.is_set():
                self.check()
                self.stopping.wait(interval)
        finally:
            self.stop()

    def watch_in_background(self) -> "Supervisor":
        self._thread = threading.Thread(target=self.watch, name="supervisor", daemon=True)
        self._thread.start()
        return self

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    # --- stopping -----------------------------------------------------------------------
    @property
    def procs(self) -> List[subprocess.Popen]:
        return [c.proc for c in self.children if c.proc is not None]

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:  # no restart can slip in after this
            procs = self.procs
            for child in self.children:
                child.restart_at = None
        stop_processes(procs)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)


def stack_children(gateway_ports: List[int], rasa_ports: List[int], action_ports: List[int], model: str,
                   env: Mapping[str, str], rasa_token: str) -> List[Child]:
    """The product's processes: the action servers, a Rasa server per port (instance i calls
    action server i mod their number; its token in its environment, never in its arguments), and
    the gateways, each spreading turns over every Rasa instance. One of a kind is named `actions`,
    `gateway`; several, `actions<port>`, `gateway<port>`; Rasa is always `rasa<port>`."""
    python = sys.executable
    LOGS.mkdir(parents=True, exist_ok=True)

    def child(name: str, argv: List[str], extra: Dict[str, str], health: str, timeout: float) -> Child:
        return Child(name, argv, {**env, **extra}, health, LOGS / f"{name}-{gateway_ports[0]}.log", timeout)

    def name(kind: str, port: int, ports: List[int]) -> str:
        return kind if len(ports) == 1 else f"{kind}{port}"

    children = [child(name("actions", port, action_ports),
                      [python, "-m", "rasa_sdk", "--actions", "actions", "-p", str(port)],
                      {"SANIC_HOST": "127.0.0.1", "ACTION_SERVER_SANIC_WORKERS": "1"},
                      f"http://127.0.0.1:{port}/health", 120) for port in action_ports]
    for i, port in enumerate(rasa_ports):
        endpoints = write_endpoints(action_ports[i % len(action_ports)], port, env)
        children.append(child(f"rasa{port}", [python, "-m", "bot.rasa_server", "run", "--enable-api",
                                              "-i", "127.0.0.1", "-p", str(port), "-m", model,
                                              "--endpoints", str(endpoints),
                                              "--credentials", str(ROOT / "credentials.yml")],
                              {"RASA_TOKEN": rasa_token},
                              f"http://127.0.0.1:{port}/status?token={rasa_token}", 300))
    for port in gateway_ports:
        children.append(child(name("gateway", port, gateway_ports),
                              [python, "-m", "bot", "gateway", "--port", str(port)],
                              {"RASA_URL": ",".join(f"http://127.0.0.1:{p}" for p in rasa_ports),
                               "RASA_TOKEN": rasa_token,
                               "DEMO_MODE": env.get("DEMO_MODE", "1")},  # the demo bar, unless told otherwise
                              f"http://127.0.0.1:{port}/health", 60))
    return children


Ports = Union[int, List[int]]


def start_stack(gateway_port: Ports, rasa_port: Ports, action_port: Ports, model: str,
                env: Optional[Mapping[str, str]] = None, stopping: Optional[threading.Event] = None,
                out: Optional[TextIO] = None, prepare: Optional[Callable[[], None]] = None,
                **supervision: float) -> Supervisor:
    """Start the action server(s), Rasa (one instance per port) and the gateway(s), each an int
    or a list of ports; return their Supervisor once all answer (not yet watching: call
    watch() or watch_in_background()). Several gateways need REDIS_URL (their websocket
    fan-out), several Rasa instances TRACKER_STORE_URL and REDIS_URL (shared trackers, locks)."""
    from bot.config import Settings

    def ports(value: Ports) -> List[int]:
        return [value] if isinstance(value, int) else list(value)

    env = dict(os.environ if env is None else env)
    env.setdefault("PYTHONPATH", str(ROOT))
    rasa_token = env.get("RASA_TOKEN") or Settings().rasa_token
    children = stack_children(ports(gateway_port), ports(rasa_port), ports(action_port), model, env, rasa_token)
    supervisor = Supervisor(children, LOGS / f"supervisor-{ports(gateway_port)[0]}.log", out=out,
                            stopping=stopping or threading.Event(), **supervision)
    return supervisor.start(prepare)


def stop_stack(stack: Union[Supervisor, Iterable[subprocess.Popen]]) -> None:
    """Stop a Supervisor's children, or a list of processes."""
    if isinstance(stack, Supervisor):
        stack.stop()
    else:
        stop_processes(list(stack))


def stop_processes(procs: List[subprocess.Popen]) -> None:
    """SIGTERM to each process group, then SIGKILL to any still running after 15 s."""
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.time() + 15
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
