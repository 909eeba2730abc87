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


@pytest.mark.parametrize("production", [False, True])
def test_run_prints_the_demo_logins_only_in_demo_mode(production, db_url, seeded_db, tmp_path, monkeypatch, capsys):
    """A production log gets no customer names and no demo passwords."""
    import threading

    from bot import stack

    model = tmp_path / "modu.tar.gz"
    model.write_bytes(b"")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    monkeypatch.setenv("DEMO_MODE", os.environ.get("DEMO_MODE", "1"))  # restored after the test

    class Started:
        def watch(self):
            pass

    monkeypatch.setattr(stack, "start_stack", lambda *a, **k: Started())
    args = parse_run(monkeypatch, ["--model", str(model)] + (["--production"] if production else []))
    cli.run_supervised(args, stopping=threading.Event())
    out = capsys.readouterr().out
    names = [c["name"] for c in seeded_db["customers"]]
    if production:
        assert "production mode: no demo picker" in out
        assert not any(name in out for name in names) and "1234" not in out
    else:
        assert all(name in out for name in names) and "agent1   / agent1234" in out
