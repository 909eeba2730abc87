"""bot.rasa_server: Rasa gets its token from the environment, in a form argparse cannot misread."""
from __future__ import annotations

import pytest

from bot import rasa_server


def test_a_token_starting_with_a_dash_is_parsed_as_the_token():
    from rasa.__main__ import create_argument_parser

    argv = rasa_server.rasa_argv(["run", "--enable-api", "-p", "5005"], "-xyz")
    assert argv[0] == "rasa" and argv[-1] == "--auth-token=-xyz"
    args = create_argument_parser().parse_args(argv[1:])
    assert (args.auth_token, args.port, args.enable_api) == ("-xyz", 5005, True)


def test_the_old_form_is_refused_by_rasa_and_by_the_launcher():
    from rasa.__main__ import create_argument_parser

    with pytest.raises(SystemExit):  # what 1 in 64 fresh installs met: "expected one argument"
        create_argument_parser().parse_args(["run", "--auth-token", "-xyz"])
    with pytest.raises(SystemExit, match="RASA_TOKEN"):
        rasa_server.rasa_argv(["run", "--auth-token", "abc"], "abc")


def test_without_a_token_the_launcher_stops(monkeypatch):
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="RASA_TOKEN is not set"):
        rasa_server.main(["run"])
