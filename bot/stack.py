"""Starting and stopping the processes of the product: action server, Rasa server(s), gateway.

Used by `python -m bot run`, by `python -m bot bench` and by the real-stack tests
(tests/stack.py). Each process runs in its own session, logs to var/logs/, and is
stopped as a process group.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Union

from bot.analytics.consumer import endpoint_lines as event_broker_lines
from bot.db import ROOT, VAR

LOGS = VAR / "logs"


def write_endpoints(action_port: int, rasa_port: int, env: Optional[Mapping[str, str]] = None) -> Path:
    """Endpoints for these Rasa instances; production stores come from the environment."""
    env = os.environ if env is None else env
    lines = ["action_endpoint:", f'  url: "http://127.0.0.1:{action_port}/webhook"']
    tracker_url = env.get("TRACKER_STORE_URL")  # e.g. postgresql://postgres@127.0.0.1:5432/rasa
    if tracker_url:
        from sqlalchemy.engine import make_url

        u = make_url(tracker_url)
        lines += ["tracker_store:", "  type: SQL", f"  dialect: {u.drivername}", f"  url: {u.host}",
                  f"  port: {u.port or 5432}", f"  db: {u.database}", f"  username: {u.username or ''}",
                  f"  password: {u.password or ''}"]
    redis_url = env.get("REDIS_URL")  # e.g. redis://127.0.0.1:6379/0
    if redis_url:
        from urllib.parse import urlparse

        r = urlparse(redis_url)
        lines += ["lock_store:", "  type: redis", f"  url: {r.hostname}", f"  port: {r.port or 6379}",
                  f"  db: {(r.path or '/0').strip('/') or 0}"]
    lines += event_broker_lines(env)  # SQL broker on SQLite by default, Pika with EVENT_BROKER_URL=amqp://
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / f"endpoints-{rasa_port}.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def spawn(name: str, argv: List[str], env: Mapping[str, str], log: Path) -> subprocess.Popen:
    """One process in its own session (so that it can be stopped with its children), output to `log`."""
    out = open(log, "w")
    return subprocess.Popen(argv, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_for(url: str, proc: subprocess.Popen, name: str, timeout: float) -> None:
    """Until `url` answers below 500; SystemExit if the process ends or time runs out first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with code {proc.returncode}; see {LOGS}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except Exception:
            time.sleep(0.5)
    raise SystemExit(f"{name} did not answer at {url} within {timeout:.0f} s")


def start_stack(gateway_port: int, rasa_port: Union[int, List[int]], action_port: int, model: str,
                env: Optional[Mapping[str, str]] = None) -> List[subprocess.Popen]:
    """Start action server, Rasa (one instance per port in `rasa_port`, an int or a list)
    and the gateway; return the processes once all answer."""
    from bot.config import Settings

    rasa_ports = [rasa_port] if isinstance(rasa_port, int) else list(rasa_port)
    env = dict(os.environ if env is None else env)
    env.setdefault("PYTHONPATH", str(ROOT))
    settings = Settings()
    LOGS.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    bin_dir = Path(python).parent

    def start(name: str, argv: List[str], extra: Dict[str, str]) -> subprocess.Popen:
        return spawn(name, argv, {**env, **extra}, LOGS / f"{name}-{gateway_port}.log")

    procs: List[subprocess.Popen] = []
    try:
        actions = start("actions", [python, "-m", "rasa_sdk", "--actions", "actions", "-p", str(action_port)],
                        {"SANIC_HOST": "127.0.0.1", "ACTION_SERVER_SANIC_WORKERS": "1"})
        procs.append(actions)
        endpoints = write_endpoints(action_port, rasa_ports[0], env)
        rasas = []
        for port in rasa_ports:
            rasas.append(start(f"rasa{port}", [str(bin_dir / "rasa"), "run", "--enable-api", "--auth-token",
                                               settings.rasa_token, "-i", "127.0.0.1", "-p", str(port), "-m", model,
                                               "--endpoints", str(endpoints),
                                               "--credentials", str(ROOT / "credentials.yml")], {}))
        procs += rasas
        gateway = start("gateway", [python, "-m", "bot", "gateway", "--port", str(gateway_port)],
                        {"RASA_URL": ",".join(f"http://127.0.0.1:{p}" for p in rasa_ports),
                         "RASA_TOKEN": settings.rasa_token})
        procs.append(gateway)
        wait_for(f"http://127.0.0.1:{action_port}/health", actions, "action server", 120)
        wait_for(f"http://127.0.0.1:{gateway_port}/health", gateway, "gateway", 60)
        for port, proc in zip(rasa_ports, rasas):
            wait_for(f"http://127.0.0.1:{port}/status?token={settings.rasa_token}", proc, "rasa server", 300)
        return procs
    except BaseException:
        stop_stack(procs)
        raise


def stop_stack(procs: List[subprocess.Popen]) -> None:
    """SIGTERM to each process group, then SIGKILL to any still running after 15 s."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
