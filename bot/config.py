"""Settings from environment variables, with embedded defaults for one machine."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Tuple

from bot.db import ROOT, VAR, database_url


def new_secret() -> str:
    """64 hex digits: never starts with '-', so no command line can read it as an option."""
    return secrets.token_hex(32)


def _secret(name: str) -> str:
    """A secret from the environment, else one generated once and kept under var/ (mode 0600)."""
    value = os.environ.get(name)
    if value:
        return value
    path = VAR / f"{name.lower()}.secret"
    VAR.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole to a private file first, then linked into place: never readable by
        # others, never seen half-written, and the first of two racing processes wins.
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(new_secret())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a file from an older version
    return path.read_text().strip()


@dataclass
class Settings:
    database_url: str = field(default_factory=database_url)
    host: str = field(default_factory=lambda: os.environ.get("GATEWAY_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("GATEWAY_PORT", "8000")))
    rasa_url: str = field(default_factory=lambda: os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    # Redis for the websocket fan-out between several gateways (bot.conversation.broker); empty:
    # in-process, one gateway.
    redis_url: str = field(default_factory=lambda: os.environ.get("REDIS_URL", ""))
    rasa_token: str = field(default_factory=lambda: _secret("RASA_TOKEN"))
    secret_key: str = field(default_factory=lambda: _secret("GATEWAY_SECRET"))
    # Handoff hook: "console" (the built-in agent/seller console) or "webhook".
    handoff_hook: str = field(default_factory=lambda: os.environ.get("HANDOFF_HOOK", "console"))
    webhook_url: str = field(default_factory=lambda: os.environ.get("HANDOFF_WEBHOOK_URL", ""))
    webhook_secret: str = field(default_factory=lambda: os.environ.get("HANDOFF_WEBHOOK_SECRET", ""))
    staff_session_hours: int = field(default_factory=lambda: int(os.environ.get("STAFF_SESSION_HOURS", "8")))
    max_message_chars: int = 1000
    secure_cookies: bool = field(default_factory=lambda: os.environ.get("SECURE_COOKIES", "") == "1")
    # Demo mode: the shop page's demo bar picks any customer (`POST /api/login {customer_id}`).
    # `python -m bot run` (and so `make run`), the tests and the benchmark turn it on; off, a
    # customer is known only by a token the shop's backend signs (bot.gateway.identity).
    demo_mode: bool = field(default_factory=lambda: os.environ.get("DEMO_MODE", "") == "1")
    # Shared with the shop's backend, which signs its logged-in customer for the widget; empty:
    # nobody can be identified (production then serves guests only).
    identity_secret: str = field(default_factory=lambda: os.environ.get("IDENTITY_SECRET", ""))
    # Pages besides the gateway's own that may open its websockets, e.g. "https://shop.example.com".
    allowed_origins: Tuple[str, ...] = field(default_factory=lambda: tuple(
        o.strip() for o in os.environ.get("ALLOWED_ORIGINS", "").split(",") if o.strip()))

    # The authors' studio (bot.studio): the project whose data/ it edits and trains (tests: a copy),
    # and where the models are (models/candidates/ for what it trains).
    studio_project_dir: Path = field(default_factory=lambda: Path(os.environ.get("STUDIO_PROJECT_DIR", str(ROOT))))
    studio_models_dir: Path = field(default_factory=lambda: Path(
        os.environ.get("STUDIO_MODELS_DIR", "") or Path(os.environ.get("STUDIO_PROJECT_DIR", str(ROOT))) / "models"))

    @property
    def static_dir(self) -> Path:
        return ROOT / "bot" / "gateway" / "static"
