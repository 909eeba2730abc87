"""bot.cli: what `python -m bot seed` and `run` print for the demo logins; `run`'s options for several processes."""
from __future__ import annotations

import os

import pytest

from bot import cli


def test_print_logins_lists_customers_and_staff_with_their_demo_passwords(db_url, seeded_db, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    cli.print_logins()
    lines = capsys.readouterr().out.splitlines()
    customers = ", ".join(f"{c['id']} {c['name']}" for c in seeded_db["customers"])
    assert lines[:3] == ["  demo customers (pick one on the shop page, or stay a guest):", f"    {customers}",
                         "  staff console logins:"]
    assert lines[3:6] == ["    agent  agent1   / agent1234   김하늘", "    agent  agent2   / agent1234   이도윤",
                          "    author author1  / author1234   정시나"]
    assert len(lines) == 10
    for i, line in enumerate(lines[6:], start=1):
        assert line.startswith(f"    seller seller{i:<3}/ seller1234   ")



def parse_run(monkeypatch, argv):
    """The `run` subcommand's arguments as `python -m bot run ...` parses them (nothing started)."""
    seen = {}
    monkeypatch.setattr(cli, "cmd_run", lambda args: seen.setdefault("args", args))
    cli.main(["run", *argv])
    return seen["args"]


def test_run_starts_several_gateways_and_action_servers_on_consecutive_ports(monkeypatch):
    args = parse_run(monkeypatch, ["--port", "9000", "--gateways", "2", "--action-servers", "3"])
    assert (args.port, args.gateways, args.action_port, args.action_servers, args.rasa_instances) == (9000, 2, 5055, 3, 1)


def test_several_gateways_without_redis_are_refused_before_anything_starts(tmp_path, monkeypatch):
    model = tmp_path / "modu.tar.gz"
    model.write_bytes(b"")
    monkeypatch.delenv("REDIS_URL", raising=False)
    args = parse_run(monkeypatch, ["--model", str(model), "--gateways", "2"])
    with pytest.raises(SystemExit, match="several gateways share their websockets through Redis: set REDIS_URL"):
        cli.run_supervised(args, stopping=None)


def test_a_tracker_database_that_does_not_exist_is_refused_before_anything_starts(tmp_path, monkeypatch):
    """Rasa would keep the conversations in memory, each instance its own, without saying so."""
    model = tmp_path / "modu.tar.gz"
    model.write_bytes(b"")
    monkeypatch.setenv("TRACKER_STORE_URL", "postgresql://postgres@127.0.0.1:1/no_such_trackers")
    args = parse_run(monkeypatch, ["--model", str(model)])
    with pytest.raises(SystemExit, match="TRACKER_STORE_URL: cannot open database 'no_such_trackers'.*createdb"):
        cli.run_supervised(args, stopping=None)
    cli.check_tracker_store(f"sqlite:///{tmp_path}/new.db")  # a file is created on first use


def run_without_processes(monkeypatch, tmp_path, database_url: str, *argv: str) -> None:
    """`python -m bot run ARGV` on `database_url` with the processes left out: what the
    supervisor would start is not started, but its `prepare` (the migration, the demo seed)
    runs as it would before the gateways."""
    import threading

    from bot import stack

    model = tmp_path / "modu.tar.gz"
    model.write_bytes(b"")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    monkeypatch.setenv("DEMO_MODE", os.environ.get("DEMO_MODE", "1"))  # restored after the test

    class Started:
        def watch(self):
            pass

    def start_stack(*args, prepare, **kwargs):
        prepare()
        return Started()

    monkeypatch.setattr(stack, "start_stack", start_stack)
    args = parse_run(monkeypatch, ["--model", str(model), *argv])
    cli.run_supervised(args, stopping=threading.Event())


@pytest.mark.parametrize("production", [False, True])
def test_run_prints_the_demo_logins_only_in_demo_mode(production, db_url, seeded_db, tmp_path, monkeypatch, capsys):
    """A production log gets no customer names and no demo passwords."""
    run_without_processes(monkeypatch, tmp_path, db_url, *(["--production"] if production else []))
    out = capsys.readouterr().out
    names = [c["name"] for c in seeded_db["customers"]]
    if production:
        assert "production mode: no demo picker" in out
        assert not any(name in out for name in names) and "1234" not in out
    else:
        assert all(name in out for name in names) and "agent1   / agent1234" in out


def test_production_adds_no_demo_data_and_says_how_to_add_staff(new_db_url, tmp_path, monkeypatch, capsys):
    """`run --production` on an empty database: migrated, but no demo shop and, above all, no
    staff account with the demo's published password (agent1 / agent1234)."""
    from sqlalchemy import select

    from bot.db import session_scope
    from bot.handoff.models import StaffUser
    from bot.shop.models import Customer, Order
    from tests.fixtures import staff_login_now as login

    url = new_db_url()
    run_without_processes(monkeypatch, tmp_path, url, "--production")
    out = capsys.readouterr().out
    with session_scope(url) as s:
        assert s.execute(select(StaffUser)).first() is None
        assert s.execute(select(Customer)).first() is None and s.execute(select(Order)).first() is None
    assert login(url, "agent1", "agent1234") is None
    assert "no staff account yet" in out and "python -m bot staff add USERNAME --role" in out
    # The demo still seeds itself: the same start without --production.
    run_without_processes(monkeypatch, tmp_path, url)
    assert login(url, "agent1", "agent1234")[1]["role"] == "agent"
