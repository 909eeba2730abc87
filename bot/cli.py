"""`python -m bot <command>`: migrate, seed, run (all processes), staff (accounts), gateway, bench.

`run` starts the action server and the Rasa server on loopback and the web gateway,
waits until each answers, prints where to open the product and the demo logins,
restarts any of them that dies (bot.stack.Supervisor), and stops them all on Ctrl-C or
SIGTERM, at any moment.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import List, Optional

from bot.db import ROOT


def cmd_migrate(args: argparse.Namespace) -> None:
    from bot.migrate import upgrade

    upgrade()
    print("database is at the latest migration")


def cmd_seed(args: argparse.Namespace) -> None:
    from bot.migrate import ensure_seeded

    summary = ensure_seeded()
    print("seeded the demo shop" if summary else "the database already has data: left as it is")
    if args.history:
        from bot.analytics.history import seed_history
        from bot.db import session_scope, utcnow

        with session_scope() as session:
            added = seed_history(session, utcnow(), args.history, args.days, seed=args.history_seed)
        print(f"added history: {added['conversations']:,} conversations, {added['tickets']:,} tickets, "
              f"{added['events']:,} events over the {args.days} days before today")
    print_logins()


def staff_accounts() -> int:
    from bot.db import session_scope
    from bot.gateway.accounts import staff_count

    with session_scope() as session:
        return staff_count(session)


def cmd_staff(args: argparse.Namespace) -> None:
    """`staff add` / `staff password`: the password from a prompt (asked twice) or one line of stdin."""
    from bot.db import session_scope
    from bot.gateway.accounts import StaffAccountError, add_staff, set_password
    from bot.migrate import upgrade

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass(f"password for {args.username}: ")
        if getpass.getpass("the same again: ") != password:
            raise SystemExit("the two passwords differ: nothing changed")
    upgrade()
    try:
        with session_scope() as session:
            if args.staff_command == "add":
                user = add_staff(session, args.username, args.role, args.name, password, args.seller_id)
                done = f"added {user.role} '{user.username}' ({user.display_name})"
            else:
                set_password(session, args.username, password)
                done = f"changed the password of '{args.username}'"
    except StaffAccountError as exc:
        raise SystemExit(f"{exc}: nothing changed")
    print(done)


def print_logins() -> None:
    from sqlalchemy import select

    from bot.db import session_scope
    from bot.demo import PASSWORDS
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
            password = PASSWORDS[user.role]
            extra = f" ({sellers.get(user.seller_id)})" if user.seller_id else ""
            print(f"    {user.role:<6} {user.username:<8} / {password}   {user.display_name}{extra}")


def cmd_run(args: argparse.Namespace) -> None:
    """Start everything and supervise it until SIGTERM, SIGINT (Ctrl-C) or SIGHUP, which may
    come at any moment: during the migration or the start-up too, every child is stopped."""
    import threading

    stopping = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stopping.set())
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        run_supervised(args, stopping)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_supervised(args: argparse.Namespace, stopping) -> None:
    from bot.migrate import ensure_seeded, upgrade
    from bot.stack import Stopped, start_stack

    model = Path(args.model)
    if not model.exists() or (model.is_dir() and not any(model.glob("*.tar.gz"))):
        raise SystemExit(f"no trained model in {args.model}: run `make train` first")
    if args.rasa_instances > 1 and not (os.environ.get("TRACKER_STORE_URL") and os.environ.get("REDIS_URL")):
        raise SystemExit("several Rasa instances need a shared tracker store and lock store: "
                         "set TRACKER_STORE_URL (PostgreSQL) and REDIS_URL")
    if args.gateways > 1 and not os.environ.get("REDIS_URL"):
        raise SystemExit("several gateways share their websockets through Redis: set REDIS_URL")
    check_tracker_store(os.environ.get("TRACKER_STORE_URL", ""))
    if stopping.is_set():
        return
    print("starting the action server, the Rasa server and the gateway (Rasa takes about 15 s)...", flush=True)
    gateway_ports = [args.port + i for i in range(args.gateways)]
    rasa_ports = [args.rasa_port + i for i in range(args.rasa_instances)]
    action_ports = [args.action_port + i for i in range(args.action_servers)]
    if args.production:  # start_stack gives the gateway DEMO_MODE=1 unless the environment says otherwise
        os.environ["DEMO_MODE"] = "0"
    try:
        # The shop database is migrated (and, for the demo, seeded when empty) while Rasa loads its
        # model, before the gateways start. Production adds no demo data: no demo shop, and above
        # all no staff accounts with the demo's published passwords.
        supervisor = start_stack(gateway_ports, rasa_ports, action_ports, args.model, stopping=stopping,
                                 prepare=upgrade if args.production else ensure_seeded)
    except Stopped:
        print("stopped during start-up; every process is stopped", flush=True)
        return
    print(f"""
  모두의마켓 chatbot is running.
    shop page with the chat widget:  http://localhost:{args.port}/
    agent / seller console:          http://localhost:{args.port}/console""")
    if len(gateway_ports) > 1:
        print(f"    gateways (put a load balancer in front): {', '.join(f'http://localhost:{p}/' for p in gateway_ports)}")
    print(f"""    (Rasa on 127.0.0.1:{",".join(map(str, rasa_ports))}, actions on 127.0.0.1:{",".join(map(str, action_ports))}, \
loopback only; logs in var/logs/)""")
    if args.production:  # no customer names or demo passwords in a production log
        print("  production mode: no demo picker; the shop identifies its customers (IDENTITY_SECRET), "
              "staff log in with their own accounts.")
        if not staff_accounts():
            print("  no staff account yet: add one with\n"
                  "    python -m bot staff add USERNAME --role agent|author|seller --name NAME [--seller-id N]")
    else:
        print_logins()
    print("  A process that dies is restarted. Ctrl-C stops everything.", flush=True)
    supervisor.watch()
    print("stopped", flush=True)


def check_tracker_store(url: str) -> None:
    """A tracker database Rasa cannot open is no error to Rasa: it keeps the conversations in
    memory instead, each instance its own (rasa.core.tracker_store.FailSafeTrackerStore). So
    refuse to start unless it answers."""
    if not url or url.startswith("sqlite"):
        return  # a file, created on first use
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except Exception as exc:
        raise SystemExit(f"TRACKER_STORE_URL: cannot open database {make_url(url).database!r} "
                         f"({str(exc).strip().splitlines()[0]}); create it first, e.g. createdb") from None
    finally:
        engine.dispose()


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


def customer_counts(value: str) -> List[int]:
    """`--customers 100,250,500` -> [100, 250, 500]."""
    try:
        numbers = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        numbers = []
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError("positive whole numbers, comma-separated")
    return numbers


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate").set_defaults(func=cmd_migrate)
    seed = sub.add_parser("seed")
    seed.add_argument("--history", type=int, default=0,
                      help="also add this many past conversations to the analytics store")
    seed.add_argument("--days", type=int, default=90, help="spread the history over this many days before today")
    seed.add_argument("--history-seed", type=int, default=1, help="random seed of the history")
    seed.set_defaults(func=cmd_seed)
    run = sub.add_parser("run")
    run.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8000")))
    run.add_argument("--rasa-port", type=int, default=5005)
    run.add_argument("--rasa-instances", type=int, default=1,
                     help="Rasa servers (ports from --rasa-port on) behind every gateway "
                          "(needs TRACKER_STORE_URL and REDIS_URL)")
    run.add_argument("--action-port", type=int, default=5055)
    run.add_argument("--action-servers", type=int, default=1,
                     help="action servers (ports from --action-port on); Rasa instance i calls server i mod N")
    run.add_argument("--gateways", type=int, default=1,
                     help="web gateways (ports from --port on) behind your load balancer (needs REDIS_URL)")
    run.add_argument("--model", default=str(ROOT / "models"))
    run.add_argument("--production", action="store_true",
                     help="no demo bar: customers are identified by the shop's signed token (IDENTITY_SECRET)")
    run.set_defaults(func=cmd_run)
    staff = sub.add_parser("staff", help="staff accounts of a real deployment (agents, authors, sellers' staff)")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="add an account; asks for its password")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["agent", "author", "seller"])
    add.add_argument("--name", required=True, help="display name, e.g. 김하늘")
    add.add_argument("--seller-id", type=int, default=None, help="the seller a seller's account belongs to")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=cmd_staff)
    password = staff_sub.add_parser("password", help="set an account's password; asks for it")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password.set_defaults(func=cmd_staff)
    gateway = sub.add_parser("gateway")
    gateway.add_argument("--port", type=int, default=0)
    gateway.set_defaults(func=cmd_gateway)
    bench = sub.add_parser("bench")
    bench.add_argument("--customers", type=customer_counts, default=None,
                       help="simulated customers (closed loop: 16; open loop: a list, default 100,250,500)")
    bench.add_argument("--conversations", type=int, default=48, help="conversations in all (fresh ids)")
    bench.add_argument("--think", type=float, default=0.3, help="seconds between a customer's messages")
    bench.add_argument("--compare-default", action="store_true",
                       help="also measure Rasa's default policies on the same data, in the same run")
    bench.add_argument("--open-loop", action="store_true",
                       help="customers send every --period s without waiting for the answers")
    bench.add_argument("--period", type=float, default=5.0, help="open loop: seconds between a customer's messages")
    bench.add_argument("--duration", type=float, default=60.0, help="open loop: seconds of sending per run")
    bench.add_argument("--find-max", action="store_true",
                       help="open loop: search the most customers that keep p95 <= 300 ms with no error")
    bench.add_argument("--find-start", type=int, default=50, help="find-max: first number of customers (doubled)")
    bench.add_argument("--find-limit", type=int, default=2000, help="find-max: most customers tried")
    bench.add_argument("--resolution", type=int, default=25, help="find-max: bisection stops this close")
    bench.add_argument("--settle-limit", type=float, default=180.0,
                       help="open loop: after a run, wait at most this long for the stack to answer promptly again")
    bench.add_argument("--cold-start", type=int, default=0, metavar="N",
                       help="time N starts of `python -m bot run` to the first answered message (with --baseline: "
                            "alternating with that checkout)")
    bench.add_argument("--baseline", default=None,
                       help="open loop and cold start: another checkout (e.g. a worktree of the previous commit) measured "
                            "first in the same run, with its own models/modu.tar.gz")
    bench.add_argument("--rasa-instances", type=int, default=1,
                       help="open loop: Rasa servers in this checkout's stack (the baseline keeps one; with "
                            "--baseline . this measures one against N); more than one needs REDIS_URL (lock store)")
    bench.add_argument("--profile", default=None, metavar="DIR",
                       help="open loop: py-spy on each process during each --customers run, samples kept in DIR, "
                            "CPU per message by component printed (needs py-spy)")
    bench.set_defaults(func=cmd_bench)
    args = parser.parse_args(argv)
    args.func(args)
