"""`python -m bot.rasa_server run ...`: `rasa run`, with the API token taken from the environment.

The token never appears on a command line: `ps` shows every local user the arguments of
every process, and a token that starts with '-' is read by argparse as an option
("expected one argument"). The launcher reads RASA_TOKEN (the environment of a process
is readable only by its owner) and hands it to Rasa's own command line parser in this
process, as `--auth-token=<token>`, which is safe whatever the token starts with.
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional


def rasa_argv(argv: List[str], token: str) -> List[str]:
    """The arguments Rasa's parser sees: ours, plus the token in a form argparse cannot misread."""
    if any(a == "--auth-token" or a.startswith("--auth-token=") for a in argv):
        raise SystemExit("pass the token in RASA_TOKEN, never on the command line")
    return ["rasa", *argv, f"--auth-token={token}"]


def main(argv: Optional[List[str]] = None) -> None:
    token = os.environ.pop("RASA_TOKEN", "")
    if not token:
        raise SystemExit("RASA_TOKEN is not set")
    from bot import rasa_cli

    rasa_cli.main(rasa_argv(sys.argv[1:] if argv is None else argv, token)[1:], serving=True)  # bot.rasa_runtime


if __name__ == "__main__":
    main()
