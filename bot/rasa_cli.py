"""`python -m bot.rasa_cli <rasa arguments>`: Rasa's own command line with bot.rasa_runtime
applied, for the commands that load a model (`rasa test`): it loads faster, and predicts the same."""
from __future__ import annotations

import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None, serving: bool = False) -> None:
    """`serving`: the Rasa server (bot.rasa_server), which may skip what only `rasa test` reads."""
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    from rasa.__main__ import main as rasa_main

    from bot import rasa_runtime

    rasa_runtime.apply(serving=serving)
    rasa_main()


if __name__ == "__main__":
    main()
