"""bot.cli: what `python -m bot seed` and `run` print for the demo logins."""
from __future__ import annotations

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
