"""The real stack for integration and browser tests: action server, Rasa server, gateway.

Started once per test session on free loopback ports, over a fresh seeded database
(SQLite in a temporary folder, or PostgreSQL with TEST_DATABASE_URL), with the trained
model from `make train`, Rasa's trackers in a SQLite file beside it (unless the caller
gives TRACKER_STORE_URL), and supervised as `python -m bot run` does (bot.stack.Supervisor).
"""
from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "modu.tar.gz"
WEBHOOK_SECRET = "test-webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    base_url: str
    database_url: str
    rasa_url: str
    rasa_token: str
    started_in: float
    fixture_orders: Dict[str, str] = field(default_factory=dict)  # customer 1's, as seeded
    rasa_urls: List[str] = field(default_factory=list)
    supervisor: Any = None  # bot.stack.Supervisor
    gateway_urls: List[str] = field(default_factory=list)  # base_url is the first

    def customer(self, customer_id: Optional[int] = None) -> "Customer":
        return Customer(self, customer_id)

    def staff(self, username: str, password: str, base_url: str = "") -> "Staff":
        return Staff(self, username, password, base_url=base_url)


@dataclass
class Customer:
    """A browser-less customer: a cookie jar and the widget's API."""

    stack: Stack
    customer_id: Optional[int]
    http: requests.Session = field(default_factory=requests.Session)
    last_buttons: List[Dict[str, str]] = field(default_factory=list)
    base_url: str = ""  # the gateway this customer talks to: the stack's first unless moved (via)

    def __post_init__(self) -> None:
        self.base_url = self.base_url or self.stack.base_url
        self.http.get(self.base_url + "/api/me").raise_for_status()
        if self.customer_id is not None:
            self.http.post(self.base_url + "/api/login", json={"customer_id": self.customer_id}).raise_for_status()

    def via(self, base_url: str) -> "Customer":
        """Talk through another gateway from now on (as a load balancer may send the same
        browser, with its cookie, anywhere)."""
        self.base_url = base_url
        return self

    @property
    def conversation_id(self) -> str:
        return self.http.get(self.base_url + "/api/me").json()["conversation_id"]

    def send(self, text: str, payload: Optional[str] = None, client_id: Optional[str] = None,
             timeout: float = 60) -> requests.Response:
        """One POST of a message, with its client id (a fresh one unless given: a retry gives the same)."""
        body: Dict[str, Any] = {"text": text, "client_id": client_id or uuid.uuid4().hex}
        if payload:
            body["payload"] = payload
        return self.http.post(self.base_url + "/api/conversation/messages", json=body, timeout=timeout)

    def say(self, text: str, payload: Optional[str] = None, client_id: Optional[str] = None) -> List[dict]:
        resp = self.send(text, payload, client_id)
        resp.raise_for_status()
        replies = resp.json()["replies"]
        buttons = [b for r in replies for b in r.get("buttons", [])]
        if buttons:
            self.last_buttons = buttons
        return replies

    def press(self, title_part: str) -> List[dict]:
        button = next(b for b in self.last_buttons if title_part in b["title"])
        return self.say(button["title"], button["payload"])

    def history(self, after: int = 0) -> List[dict]:
        return self.http.get(self.base_url + "/api/conversation/messages", params={"after": after}).json()["messages"]


@dataclass
class Staff:
    stack: Stack
    username: str
    password: str
    token: str = ""
    user: Dict[str, Any] = field(default_factory=dict)
    base_url: str = ""  # the gateway: the stack's first unless given

    def __post_init__(self) -> None:
        self.base_url = self.base_url or self.stack.base_url
        resp = requests.post(self.base_url + "/api/staff/login",
                             json={"username": self.username, "password": self.password})
        resp.raise_for_status()
        self.token, self.user = resp.json()["token"], resp.json()["user"]

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return requests.request(method, self.base_url + path, headers=headers, timeout=60, **kwargs)


def text_of(replies: List[dict]) -> str:
    return "\n".join(r["text"] for r in replies)


STUDIO_FILES = ("data", "domain.yml", "config.yml", "tests/nlu", "tests/dialogue")
# Models the studio trained in this test session (tests/integration/test_studio.py), for a later
# test to reuse instead of training again: {"candidate": Path, "models_dir": Path}.
TRAINED: Dict[str, Path] = {}


def studio_copy(tmp: Path) -> Dict[str, str]:
    """A copy of the project's training files for the studio to edit and train (never the repo's
    own), and a models dir holding a link to the trained model: the studio's settings for it."""
    import shutil

    project = tmp / "studio_project"
    if project.exists():  # the same stack started again (a restart test): its copy stays as it is
        return {"STUDIO_PROJECT_DIR": str(project), "STUDIO_MODELS_DIR": str(project / "models")}
    for name in STUDIO_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, project / name)
    models = project / "models"
    models.mkdir()
    (models / MODEL.name).symlink_to(MODEL.resolve())
    return {"STUDIO_PROJECT_DIR": str(project), "STUDIO_MODELS_DIR": str(models)}


def start(tmp: Path, database_url: str, rasa_instances: int = 1, supervision: Optional[dict] = None,
          gateways: int = 1, action_servers: int = 1, **extra_env: str) -> tuple:
    """(Stack, its Supervisor, already watching); `supervision`: Supervisor options (back-off...).
    Several gateways need REDIS_URL, several Rasa instances TRACKER_STORE_URL and REDIS_URL."""
    from bot.stack import start_stack

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    env = dict(os.environ, DATABASE_URL=database_url, HANDOFF_HOOK="console",
               HANDOFF_WEBHOOK_SECRET=WEBHOOK_SECRET, **extra_env)  # the inbound help-desk API is on
    from bot.migrate import ensure_seeded

    ensure_seeded(database_url)
    from bot.db import session_scope, utcnow
    from tests.fixtures import customer1_orders

    with session_scope(database_url) as session:  # before any test changes them
        fixture_orders = {name: order.id for name, order in customer1_orders(session, utcnow()).items()}
    env.setdefault("TRACKER_STORE_URL", f"sqlite:///{tmp / 'trackers.db'}")
    if "STUDIO_PROJECT_DIR" not in env:  # the studio of a test stack edits a copy, never the repo's data/
        env.update(studio_copy(tmp))
    gateway_ports, rasa_ports, action_ports = ([free_port() for _ in range(n)]
                                               for n in (gateways, rasa_instances, action_servers))
    started = time.time()
    supervisor = start_stack(gateway_ports, rasa_ports, action_ports, str(MODEL), env=env, **(supervision or {}))
    supervisor.watch_in_background()
    from bot.config import Settings

    gateway_urls = [f"http://127.0.0.1:{port}" for port in gateway_ports]
    stack = Stack(base_url=gateway_urls[0], database_url=database_url,
                  rasa_url=f"http://127.0.0.1:{rasa_ports[0]}", rasa_token=Settings().rasa_token,
                  started_in=time.time() - started, fixture_orders=fixture_orders,
                  rasa_urls=[f"http://127.0.0.1:{port}" for port in rasa_ports], supervisor=supervisor,
                  gateway_urls=gateway_urls)
    return stack, supervisor


@contextmanager
def own_stack(tmp: Path) -> Iterator[Stack]:
    """A whole stack over a fresh database (SQLite, or PostgreSQL with TEST_DATABASE_URL) under
    `tmp`, stopped and its database dropped on the way out."""
    from bot.stack import stop_stack
    from tests.databases import Databases

    dbs = Databases(tmp)
    running, procs = start(tmp, dbs.create())
    try:
        yield running
    finally:
        stop_stack(procs)
        dbs.drop_all()
