"""A second gateway in production mode beside the real stack (tests/stack.py): no demo bar,
customers identified by the shop's signed token. It shares the stack's Rasa and database."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator

from tests.stack import free_port

IDENTITY_SECRET = "test-shop-identity-secret"


@contextmanager
def production_gateway(stack, **extra_env: str) -> Iterator[str]:
    """The base URL of a gateway with DEMO_MODE=0 and IDENTITY_SECRET set, until the block ends."""
    from bot.stack import LOGS, spawn, stop_stack, wait_for

    port = free_port()
    env = dict(os.environ, DATABASE_URL=stack.database_url, RASA_URL=",".join(stack.rasa_urls or [stack.rasa_url]),
               RASA_TOKEN=stack.rasa_token, HANDOFF_HOOK="console", DEMO_MODE="0",
               IDENTITY_SECRET=IDENTITY_SECRET, **extra_env)
    LOGS.mkdir(parents=True, exist_ok=True)
    proc = spawn("gateway-production", [sys.executable, "-m", "bot", "gateway", "--port", str(port)], env,
                 LOGS / f"gateway-production-{port}.log")
    try:
        wait_for(f"http://127.0.0.1:{port}/health", proc, "production gateway", 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_stack([proc])
