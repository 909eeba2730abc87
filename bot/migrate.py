"""Schema migrations and the demo data, configured in code (there is no alembic.ini).

    python -m bot.migrate upgrade            # alembic upgrade head on DATABASE_URL
    python -m bot.migrate seed               # upgrade, then seed an empty database
    python -m bot.migrate revision -m "..."  # autogenerate a new migration
    python -m bot.migrate current

The Config is built without a config file, so Alembic never calls logging.fileConfig and
the caller's logging setup stays as it was.
"""
from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db import database_url, session_scope, utcnow

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SEED_LOCK_KEY = 20261127  # pg_advisory_xact_lock key: one seeder at a time


def alembic_config(url: Optional[str] = None) -> Config:
    cfg = Config()  # no file: no [loggers] section, no fileConfig
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal '%' (URL-encoded passwords) must be doubled.
    cfg.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return cfg


def upgrade(url: Optional[str] = None, revision: str = "head") -> None:
    make_sqlite_folder(url or database_url())
    command.upgrade(alembic_config(url), revision)


def make_sqlite_folder(url: str) -> None:
    """SQLite creates the file but not its folder (var/ on a fresh clone)."""
    u = make_url(url)
    if u.drivername.startswith("sqlite") and u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)


def downgrade(url: Optional[str] = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def ensure_seeded(url: Optional[str] = None, now: Optional[datetime] = None) -> Optional[dict]:
    """Migrate to head; seed the demo (shop and staff) if there are no customers yet.

    Returns the seed summary, or None when the database already had data.
    """
    from bot.shop.models import Customer
    from bot.demo import seed

    upgrade(url)
    with session_scope(url) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEED_LOCK_KEY})
        if session.query(Customer.id).first() is not None:
            return None
        return seed(session, now or utcnow())


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.migrate")
    parser.add_argument("--url", default=None, help="database URL (default: DATABASE_URL or var/shop.db)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("upgrade")
    sub.add_parser("seed")
    sub.add_parser("current")
    rev = sub.add_parser("revision")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--rev-id", default=None)
    args = parser.parse_args(argv)

    if args.cmd == "upgrade":
        upgrade(args.url)
    elif args.cmd == "seed":
        summary = ensure_seeded(args.url)
        if summary is None:
            print("database already has data; not seeded")
        else:
            print("seeded:", summary["orders"])
            for staff in summary["staff"]:
                print(f"  {staff['role']:6} {staff['username']} / {staff['password']}  ({staff['display_name']})")
    elif args.cmd == "current":
        command.current(alembic_config(args.url), verbose=True)
    elif args.cmd == "revision":
        command.revision(alembic_config(args.url), message=args.message, autogenerate=True, rev_id=args.rev_id)


if __name__ == "__main__":
    main()
