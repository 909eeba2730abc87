"""`python -m bot <command>`: migrate, seed, run (all processes), gateway, bench.

`run` starts the action server and the Rasa server on loopback and the web gateway,
waits until each answers, prints where to open the product and the demo logins, and
stops them all on Ctrl-C.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

from bot.db import ROOT

VAR = ROOT / "var"


def cmd_migrate(args: argparse.Namespace) -> None:
    from bot.shop.migrate import upgrade

    upgrade()
    print("database is at the latest migration")


def cmd_seed(args: argparse.Namespace) -> None:
    from bot.shop.migrate import ensure_seeded

    summary = ensure_seeded()
    print("seeded the demo shop" if summary else "the database already has data: left as it is")
    print_logins()


def print_logins() -> None:
    from sqlalchemy import select

    from bot.db import session_scope
    from bot.handoff.models import StaffUser
    from bot.shop.models import Customer, Seller

    with session_scope() as session:
        customers = session.execute(select(Customer).order_by(Customer.id)).scalars().all()
        staff = session.execute(select(StaffUser).where(StaffUser.username != "helpdesk")
                                .order_by(StaffUser.id)).scalars().all()
        sellers = {s.id: s.name for s in session.execute(select(Seller)).scalars()}
        print("  demo customers (pick one on the shop page, or stay a guest):")
        print("    " + ", ".join(f"{c.id} {c.name}" for c in customers))
        print("  staff console logins:")
        for user in staff:
            password = "agent1234" if user.role == "agent" else "seller1234"
            extra = f" ({sellers.get(user.seller_id)})" if user.seller_id else ""
            print(f"    {user.role:<6} {user.username:<8} / {password}   {user.display_name}{extra}")


def write_endpoints(action_port: int, rasa_port: int, env: Optional[Dict[str, str]] = None) -> Path:
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
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / f"endpoints-{rasa_port}.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def wait_for(url: str, proc: subprocess.Popen, name: str, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with code {proc.returncode}; see {VAR / 'logs'}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except Exception:
            time.sleep(0.5)
    raise SystemExit(f"{name} did not answer at {url} within {timeout:.0f} s")


def start_stack(gateway_port: int, rasa_port, action_port: int, model: str,
                env: Optional[Dict[str, str]] = None) -> List[subprocess.Popen]:
    """Start action server, Rasa (one instance per port in `rasa_port`, an int or a list)
    and the gateway; return the processes once all answer."""
    rasa_ports = [rasa_port] if isinstance(rasa_port, int) else list(rasa_port)
    from bot.config import Settings

    env = dict(os.environ if env is None else env)
    env.setdefault("PYTHONPATH", str(ROOT))
    settings = Settings()
    logs = VAR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    bin_dir = Path(python).parent

    def spawn(name: str, argv: List[str], extra: Dict[str, str]) -> subprocess.Popen:
        out = open(logs / f"{name}-{gateway_port}.log", "w")
        return subprocess.Popen(argv, cwd=ROOT, env={**env, **extra}, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)

    procs: List[subprocess.Popen] = []
    try:
        actions = spawn("actions", [python, "-m", "rasa_sdk", "--actions", "actions", "-p", str(action_port)],
                        {"SANIC_HOST": "127.0.0.1", "ACTION_SERVER_SANIC_WORKERS": "1"})
        procs.append(actions)
        endpoints = write_endpoints(action_port, rasa_ports[0], env)
        rasas = []
        for port in rasa_ports:
            rasas.append(spawn(f"rasa{port}", [str(bin_dir / "rasa"), "run", "--enable-api", "--auth-token",
                                               settings.rasa_token, "-i", "127.0.0.1", "-p", str(port), "-m", model,
                                               "--endpoints", str(endpoints),
                                               "--credentials", str(ROOT / "credentials.yml")], {}))
        procs += rasas
        gateway = spawn("gateway", [python, "-m", "bot", "gateway", "--port", str(gateway_port)],
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
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def cmd_run(args: argparse.Namespace) -> None:
    from bot.shop.migrate import ensure_seeded

    if not Path(args.model).exists() or (Path(args.model).is_dir() and not any(Path(args.model).glob("*.tar.gz"))):
        raise SystemExit(f"no trained model in {args.model}: run `make train` first")
    ensure_seeded()
    print("starting the action server, the Rasa server and the gateway (Rasa takes about 30 s)...", flush=True)
    if args.rasa_instances > 1 and not (os.environ.get("TRACKER_STORE_URL") and os.environ.get("REDIS_URL")):
        raise SystemExit("several Rasa instances need a shared tracker store and lock store: "
                         "set TRACKER_STORE_URL (PostgreSQL) and REDIS_URL")
    rasa_ports = [args.rasa_port + i for i in range(args.rasa_instances)]
    procs = start_stack(args.port, rasa_ports, args.action_port, args.model)
    print(f"""
  모두의마켓 chatbot is running.
    shop page with the chat widget:  http://localhost:{args.port}/
    agent / seller console:          http://localhost:{args.port}/console
    (Rasa on 127.0.0.1:{",".join(map(str, rasa_ports))}, actions on 127.0.0.1:{args.action_port}, loopback only; logs in var/logs/)""")
    print_logins()
    print("  Ctrl-C stops everything.", flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    try:
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stop_stack(procs)


def cmd_gateway(args: argparse.Namespace) -> None:
    import logging

    from bot.config import Settings
    from bot.gateway.app import create_app
    from bot.nlp.pii import PiiMaskingFilter

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(PiiMaskingFilter())
    settings = Settings()
    if args.port:
        settings.port = args.port
    app = create_app(settings)
    app.run(host=settings.host, port=settings.port, access_log=False, workers=1)


def cmd_bench(args: argparse.Namespace) -> None:
    from bot import bench

    bench.main(args)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate").set_defaults(func=cmd_migrate)
    sub.add_parser("seed").set_defaults(func=cmd_seed)
    run = sub.add_parser("run")
    run.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8000")))
    run.add_argument("--rasa-port", type=int, default=5005)
    run.add_argument("--rasa-instances", type=int, default=1,
                     help="Rasa servers behind the gateway (needs TRACKER_STORE_URL and REDIS_URL)")
    run.add_argument("--action-port", type=int, default=5055)
    run.add_argument("--model", default=str(ROOT / "models"))
    run.set_defaults(func=cmd_run)
    gateway = sub.add_parser("gateway")
    gateway.add_argument("--port", type=int, default=0)
    gateway.set_defaults(func=cmd_gateway)
    bench = sub.add_parser("bench")
    bench.add_argument("--customers", type=int, default=16, help="concurrent simulated customers")
    bench.add_argument("--conversations", type=int, default=48, help="conversations in all (fresh ids)")
    bench.add_argument("--think", type=float, default=0.3, help="seconds between a customer's messages")
    bench.add_argument("--compare-default", action="store_true",
                       help="also measure Rasa's default policies on the same data, in the same run")
    bench.set_defaults(func=cmd_bench)
    args = parser.parse_args(argv)
    args.func(args)
