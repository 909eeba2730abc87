"""`python -m bot bench`: many simulated customers holding realistic Korean conversations
through the real stack (gateway -> Rasa -> action server -> database); prints p50/p95
turn latency and throughput.

With `--compare-default` the same run also measures a model trained with Rasa's default
policies (TED, UnexpecTED, Rule, Memoization) on the same data and NLU pipeline, so the
two figures are side by side from one run on one machine.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import aiohttp
import yaml

from bot.db import ROOT, VAR
from bot.stack import start_stack, stop_stack

# Each conversation is a list of turns: text, or ("press", index) for a quick reply.
SCRIPTS: List[List] = [
    ["안녕하세요", "주문한 거 언제 와요?", ("press", 0), "감사합니다"],
    ["배송비 얼마예요?", "카드 무이자 할부 되나요?", "쿠폰은 어디서 받아요?", "고마워요"],
    ["환불 언제 들어와요?", ("press", 0), "네 알겠어요 감사해요"],
    ["주문 취소하고 싶어요", ("press", 0), "아니요 안할래요", "배송조회 해주세요", ("press", 1)],
    ["반품 기간이 며칠이에요?", "교환하고 싶어요", ("press", 0), "아니요", "안녕히 계세요"],
    ["배송지 바꿀 수 있나요?", ("press", 0), "아니요", "너 봇이야?", "ㅇㅋ 감사요"],
]
DEFAULT_POLICIES = [
    {"name": "MemoizationPolicy"},
    {"name": "RulePolicy"},
    {"name": "UnexpecTEDIntentPolicy", "max_history": 5, "epochs": 100},
    {"name": "TEDPolicy", "max_history": 5, "epochs": 100, "constrain_similarities": True},
]


async def customer(http: aiohttp.ClientSession, base: str, customer_id: int, script: List, think: float,
                   latencies: List[float], failures: List[str]) -> None:
    jar_session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=http.timeout)
    async with jar_session as me:
        await (await me.get(base + "/api/me")).read()
        await (await me.post(base + "/api/login", json={"customer_id": customer_id})).read()  # fresh conversation
        buttons: List[Dict[str, str]] = []
        for turn in script:
            body = {"text": turn}
            if isinstance(turn, tuple):
                if not buttons:
                    continue
                button = buttons[min(turn[1], len(buttons) - 1)]
                body = {"text": button["title"], "payload": button["payload"]}
            started = time.perf_counter()
            async with me.post(base + "/api/conversation/messages", json=body) as resp:
                data = await resp.json()
            latencies.append(time.perf_counter() - started)
            if resp.status != 200 or not data.get("replies"):
                failures.append(f"{resp.status} {body['text']}")
            buttons = [b for r in data.get("replies", []) for b in r.get("buttons", [])] or buttons
            await asyncio.sleep(random.uniform(think * 0.5, think * 1.5))


async def load(base: str, customers: int, conversations: int, think: float, seed: int = 7) -> dict:
    random.seed(seed)
    latencies: List[float] = []
    failures: List[str] = []
    queue: asyncio.Queue = asyncio.Queue()
    for i in range(conversations):
        queue.put_nowait((1 + i % 8, SCRIPTS[i % len(SCRIPTS)]))

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        async def worker() -> None:
            while not queue.empty():
                customer_id, script = queue.get_nowait()
                await customer(http, base, customer_id, script, think, latencies, failures)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(customers)))
        wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "turns": len(latencies),
        "failures": len(failures),
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[max(0, int(len(ordered) * 0.95) - 1)],
        "turns_per_s": len(latencies) / wall,
        "wall_s": wall,
    }


def train_default_model() -> Path:
    """Our NLU pipeline with Rasa's default policies, cached under models/bench-default.tar.gz."""
    out = ROOT / "models" / "bench-default.tar.gz"
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    config["policies"] = DEFAULT_POLICIES
    inputs = [ROOT / "config.yml", ROOT / "domain.yml", *sorted((ROOT / "data").rglob("*.yml"))]
    if out.exists() and out.stat().st_mtime > max(p.stat().st_mtime for p in inputs):
        return out
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump(config, f, allow_unicode=True)
    print("training the comparison model with Rasa's default policies (a few minutes)...", flush=True)
    subprocess.run([str(Path(sys.executable).parent / "rasa"), "train", "--config", f.name, "--out",
                    str(ROOT / "models"), "--fixed-model-name", "bench-default"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return out


def measure(model: Path, label: str, args: argparse.Namespace, ports: tuple) -> dict:
    import os

    from bot.migrate import ensure_seeded

    database = VAR / f"bench-{label}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    ensure_seeded(url)
    env = dict(os.environ, DATABASE_URL=url)
    procs = start_stack(*ports, str(model), env=env)
    try:
        base = f"http://127.0.0.1:{ports[0]}"
        single = asyncio.run(load(base, 1, len(SCRIPTS), think=0.05))
        many = asyncio.run(load(base, args.customers, args.conversations, think=args.think))
        return {"label": label, "single": single, "many": many}
    finally:
        stop_stack(procs)


def _free_ports(n: int) -> tuple:
    import socket

    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = tuple(s.getsockname()[1] for s in sockets)
    for s in sockets:
        s.close()
    return ports


def main(args: argparse.Namespace) -> None:
    models = [(ROOT / "models" / "modu.tar.gz", "ours (Rule+Memoization)")]
    if args.compare_default:
        models.append((train_default_model(), "Rasa default policies"))
    results = [dict(measure(model, label.split()[0], args, _free_ports(3)), label=label) for model, label in models]
    print(f"\n{args.customers} concurrent customers, {args.conversations} conversations "
          f"({sum(len(s) for s in SCRIPTS) / len(SCRIPTS):.1f} turns each), think time ~{args.think}s")
    print(f"{'config':<28}{'1 customer p50':>16}{'p95':>8}{'  |  many p50':>14}{'p95':>8}{'turns/s':>9}{'fail':>6}")
    for r in results:
        s, m = r["single"], r["many"]
        print(f"{r['label']:<28}{s['p50_ms']:>13.0f} ms{s['p95_ms']:>6.0f}ms  |  {m['p50_ms']:>8.0f} ms"
              f"{m['p95_ms']:>6.0f}ms{m['turns_per_s']:>9.1f}{m['failures']:>6}")
    if len(results) == 2:
        ours, default = results[0]["many"], results[1]["many"]
        print(f"throughput ratio ours/default: {ours['turns_per_s'] / default['turns_per_s']:.2f}x, "
              f"p50 ratio default/ours: {default['p50_ms'] / ours['p50_ms']:.2f}x")
