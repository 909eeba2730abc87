"""`python -m bot bench`: many simulated customers holding realistic Korean conversations
through the real stack (gateway -> Rasa -> action server -> database); prints p50/p95
turn latency and throughput.

Closed loop (the default): each customer waits for the bot's answer, thinks, and says the next
thing. With `--compare-default` the same run also measures a model trained with Rasa's default
policies (TED, UnexpecTED, Rule, Memoization) on the same data and NLU pipeline, so the
two figures are side by side from one run on one machine.

Open loop (`--open-loop`): N customers each send a message every T seconds whether or not the
previous one was answered (starts staggered over the first period), for D seconds: the offered
rate is N / T whatever the stack does, as with real traffic. Reports offered and achieved rates,
p50/p95/p99 and errors; `--find-max` searches for the most customers that keep p95 within
300 ms with no error.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import aiohttp
import yaml

from bot.conversation.service import BOT_DOWN
from bot import profile as profile_
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
# The open loop's conversations: status with actions and DB reads, FAQ, cancel with confirmation
# (declined, and done), small talk. Typed answers only (「첫번째 거요」「네」): an open-loop customer
# does not wait for the buttons of the previous answer.
OPEN_SCRIPTS: List[List[str]] = [
    ["안녕하세요", "주문한 거 언제 와요?", "첫번째 거요", "감사합니다"],
    ["배송비 얼마예요?", "카드 무이자 할부 되나요?", "쿠폰은 어디서 받아요?", "고마워요"],
    ["주문 취소하고 싶어요", "첫번째 거요", "아니요 안할래요", "배송조회 해주세요", "두번째 거요"],
    ["환불 언제 들어와요?", "반품 기간이 며칠이에요?", "너 봇이야?", "ㅇㅋ 감사요"],
    ["주문 취소할게요", "첫번째 거요", "네", "고마워요"],
]
P95_LIMIT_MS = 300.0
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


# --- open loop ------------------------------------------------------------------------


def schedule(customers: int, period: float, duration: float) -> List[Tuple[float, int, int]]:
    """(when, customer, turn) of every message of an open-loop run, in time order. Customer i
    starts at i * period / customers (staggered over the first period) and sends every `period`
    seconds from then on, while `when` < `duration`."""
    sends = []
    for c in range(customers):
        offset = c * period / customers
        turn = 0
        while offset + turn * period < duration:
            sends.append((offset + turn * period, c, turn))
            turn += 1
    return sorted(sends)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it (nan if none)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def open_turn(customer: int, turn: int) -> str:
    """What a customer says at its turn-th message: the open-loop scripts one after another,
    in one conversation, starting at script customer % len(OPEN_SCRIPTS)."""
    script = customer % len(OPEN_SCRIPTS)
    while turn >= len(OPEN_SCRIPTS[script]):
        turn -= len(OPEN_SCRIPTS[script])
        script = (script + 1) % len(OPEN_SCRIPTS)
    return OPEN_SCRIPTS[script][turn]


def answered(data: dict) -> bool:
    """The gateway's answer has the bot's replies (not its apology for a bot that failed)."""
    replies = data.get("replies") if isinstance(data, dict) else None
    return bool(replies) and not any(r.get("text") == BOT_DOWN for r in replies)


def holds(result: dict, limit_ms: float = P95_LIMIT_MS) -> bool:
    """The target: p95 within the limit and not one error."""
    return result["errors"] == 0 and result["p95_ms"] <= limit_ms


def find_max(probe: Callable[[int], bool], start: int, limit: int, resolution: int) -> int:
    """The largest n in [0, limit] for which probe(n) holds, probe assumed monotone (holds up to
    some n, then fails): doubling from `start` until it fails (or reaches `limit`), then
    bisection until the bracket is at most `resolution` wide. 0 if not even 1 holds."""
    good, bad = 0, None
    n = max(1, min(start, limit))
    while bad is None:
        if probe(n):
            good = n
            if n >= limit:
                return n
            n = min(2 * n, limit)
        else:
            bad = n
    while bad - good > max(1, resolution):
        middle = (good + bad) // 2
        if probe(middle):
            good = middle
        else:
            bad = middle
    return good


async def open_loop(base: str, customers: int, period: float, duration: float, shop_customers: int = 8,
                    timeout: float = 30.0) -> dict:
    """One open-loop run on a running gateway: every customer logs in first (not timed), then
    the schedule plays whatever the answers do. Latency runs from the scheduled time (a late
    send of the client counts against the stack, not in its favour) to the HTTP answer with
    the replies; a non-200, no reply, a time-out or a refused connection is an error."""
    sends = schedule(customers, period, duration)
    latencies: List[float] = []
    errors: List[str] = []
    lags: List[float] = []
    # An idle connection is dropped after 2 s, before Sanic's keep-alive (5 s) closes it on the
    # gateway's side: a customer's next message, 5 s later, would otherwise now and then go out on a
    # connection the gateway is closing at that moment ("connection reset"), which a browser resends.
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=2.0)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    me = [aiohttp.ClientSession(connector=connector, connector_owner=False, timeout=client_timeout,
                                cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in range(customers)]
    try:
        gate = asyncio.Semaphore(16)

        async def login(c: int) -> None:
            async with gate:
                async with me[c].post(base + "/api/login", json={"customer_id": 1 + c % shop_customers}) as resp:
                    if resp.status != 200:
                        raise SystemExit(f"login failed: HTTP {resp.status} {await resp.text()}")

        await asyncio.gather(*(login(c) for c in range(customers)))
        loop = asyncio.get_running_loop()
        began = loop.time()
        finished = [began]

        async def send(when: float, c: int, turn: int) -> None:
            await asyncio.sleep(max(0.0, began + when - loop.time()))
            lags.append(loop.time() - began - when)
            try:
                async with me[c].post(base + "/api/conversation/messages", json={"text": open_turn(c, turn)}) as resp:
                    data = await resp.json(content_type=None)
                    ok = resp.status == 200 and answered(data)
                    if not ok:
                        errors.append(f"HTTP {resp.status}: {str(data)[:120]}")
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                errors.append(repr(exc)[:120])
                return
            finished[0] = max(finished[0], loop.time())
            if ok:
                latencies.append(loop.time() - began - when)

        await asyncio.gather(*(send(*s) for s in sends))
        wall = max(duration, finished[0] - began)
    finally:
        for session in me:
            await session.close()
        await connector.close()
    return {
        "customers": customers, "period_s": period, "duration_s": duration, "messages": len(sends),
        "offered_per_s": len(sends) / duration, "achieved_per_s": len(latencies) / wall,
        "p50_ms": 1000 * percentile(latencies, 50), "p95_ms": 1000 * percentile(latencies, 95),
        "p99_ms": 1000 * percentile(latencies, 99), "errors": len(errors), "error_samples": errors[:3],
        "client_lag_p95_ms": 1000 * percentile(lags, 95),
    }


def open_loop_row(label: str, r: dict) -> str:
    return (f"{label:<10}{r['customers']:>9}{r['offered_per_s']:>10.1f}{r['achieved_per_s']:>10.1f}"
            f"{r['p50_ms']:>9.0f}{r['p95_ms']:>9.0f}{r['p99_ms']:>9.0f}{r['errors']:>8}{r['client_lag_p95_ms']:>9.0f}")


OPEN_LOOP_HEADER = (f"{'stack':<10}{'customers':>9}{'offered/s':>10}{'replies/s':>10}{'p50 ms':>9}{'p95 ms':>9}"
                    f"{'p99 ms':>9}{'errors':>8}{'lag ms':>9}")


def descendants(pid: int) -> List[int]:
    """`pid` and every process below it (from /proc)."""
    children: Dict[int, List[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def _process_name(argv: List[bytes]) -> str:
    return ("gateway" if b"gateway" in argv else "rasa" if b"bot.rasa_server" in argv
            else "actions" if b"rasa_sdk" in argv else "supervisor")


def by_process(pid: int, read: Callable[[int], float]) -> Dict[str, float]:
    """read(p) summed by process of a `python -m bot run` stack (gateway, rasa, actions,
    supervisor), with the total under "all"."""
    found: Dict[str, float] = {}
    for p in descendants(pid):
        try:
            name = _process_name(Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0"))
            value = read(p)
        except (OSError, StopIteration, IndexError):
            continue
        found[name] = found.get(name, 0.0) + value
    found["all"] = sum(found.values())
    return found


def pids_by_process(pid: int) -> Dict[str, int]:
    """The first process of each kind (gateway, rasa, actions) in a `python -m bot run` stack."""
    found: Dict[str, int] = {}
    for p in descendants(pid):
        try:
            found.setdefault(_process_name(Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0")), p)
        except OSError:
            continue
    return found


def rss_mb(p: int) -> float:
    status = Path(f"/proc/{p}/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def pss_mb(p: int) -> float:
    """Proportional resident memory: pages shared between processes (the libraries of two Rasa
    instances) are split between them, so a sum over processes counts them once."""
    rollup = Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()
    return next(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) / 1024


def cpu_s(p: int) -> float:
    """User + system CPU seconds of a process, all its threads."""
    fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def first_answer(base: str, deadline: float) -> None:
    """Once the gateway answers, Rasa may still be loading its model: until a message is answered."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     timeout=aiohttp.ClientTimeout(total=60)) as me:
        async with me.post(base + "/api/login", json={"customer_id": 1}) as resp:
            resp.raise_for_status()
        while True:
            async with me.post(base + "/api/conversation/messages", json={"text": "안녕하세요"}) as resp:
                if resp.status == 200 and answered(await resp.json()):
                    return
            if time.perf_counter() > deadline:
                raise SystemExit(f"no answer from the stack at {base}")
            await asyncio.sleep(1)


async def settled(base: str, limit: float, fast: float = 1.0) -> float:
    """After an overloaded run the stack still works through its backlog (a turn runs on when the
    client hangs up): until a message of a fresh conversation is answered within `fast` seconds,
    at most `limit` seconds; returns the seconds waited."""
    began = time.perf_counter()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     timeout=aiohttp.ClientTimeout(total=max(limit, 1))) as me:
        async with me.post(base + "/api/login", json={"customer_id": 1}) as resp:
            resp.raise_for_status()
        while time.perf_counter() - began < limit:
            sent = time.perf_counter()
            try:
                async with me.post(base + "/api/conversation/messages", json={"text": "안녕하세요"}) as resp:
                    ok = resp.status == 200 and answered(await resp.json())
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            if ok and time.perf_counter() - sent <= fast:
                break
            await asyncio.sleep(2)
    return time.perf_counter() - began


def overloaded(result: dict) -> bool:
    """Answers fell far behind: a larger run would only add backlog."""
    return result["achieved_per_s"] < 0.5 * result["offered_per_s"]


class RunningStack:
    """`python -m bot run` of a checkout (this one, or another worktree for a before/after in the
    same run) on free ports, with its own fresh database, tracker store and event broker under
    <checkout>/var/bench-open-<label>/, started and stopped as a whole."""

    def __init__(self, label: str, checkout: Path, rasa_instances: int = 1) -> None:
        import shutil

        from bot.stack import wait_for

        self.label, self.checkout = label, checkout
        state = checkout / "var" / f"bench-open-{label}"
        shutil.rmtree(state, ignore_errors=True)
        state.mkdir(parents=True)
        port, action_port = _free_ports(2)
        rasa_port = _free_port_block(rasa_instances)
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{state / 'shop.db'}",
                   TRACKER_STORE_URL=f"sqlite:///{state / 'trackers.db'}", PYTHONPATH=str(checkout))
        self.log = state / "run.log"
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--port", str(port), "--rasa-port", str(rasa_port),
                 "--action-port", str(action_port), "--model", str(checkout / "models" / "modu.tar.gz")]
                + (["--rasa-instances", str(rasa_instances)] if rasa_instances > 1 else []),  # older checkouts lack it
                cwd=checkout, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        try:
            wait_for(self.base + "/health", self.proc, f"{label} stack", 600, log=self.log)
            asyncio.run(first_answer(self.base, deadline=started + 600))
        except BaseException:
            self.stop()
            raise
        self.start_s = time.perf_counter() - started  # from the command to the first answered message

    def stop(self) -> None:
        import signal

        pids = descendants(self.proc.pid)
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        for p in pids:  # anything the supervisor left behind
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


def main_open(args: argparse.Namespace) -> None:
    stacks = [("ours", ROOT)]
    if args.baseline:
        stacks.insert(0, ("baseline", Path(args.baseline).resolve()))
    if args.rasa_instances > 1 and not os.environ.get("REDIS_URL"):
        raise SystemExit("--rasa-instances > 1 needs REDIS_URL: the instances share their conversation locks there")
    levels = [] if args.find_max and not args.customers else (args.customers or [100, 250, 500])
    print(f"open loop: every customer sends a message every {args.period:g} s for {args.duration:g} s "
          f"(p95 limit {P95_LIMIT_MS:.0f} ms); latency from the scheduled send to the answer; "
          "lag = how late the client sent (p95)", flush=True)
    summary = []
    for label, checkout in stacks:
        instances = args.rasa_instances if label == "ours" else 1
        stack = RunningStack(label, checkout, rasa_instances=instances)
        try:
            at_rest = by_process(stack.proc.pid, rss_mb)
            shared_once = by_process(stack.proc.pid, pss_mb)
            print(f"\n{label}: {checkout}, {instances} Rasa instance(s) (first answer {stack.start_s:.0f} s after the "
                  "start; resident MB at rest: " + ", ".join(f"{k} {v:.0f}" for k, v in at_rest.items())
                  + f"; all {shared_once['all']:.0f} counting shared pages once)", flush=True)
            asyncio.run(open_loop(stack.base, 4, args.period, 2 * args.period))  # warm-up, not reported
            print(OPEN_LOOP_HEADER, flush=True)
            runs: Dict[int, dict] = {}

            def run(n: int, profile: bool = False) -> dict:
                if n not in runs:
                    out = Path(args.profile or ".") / f"{label}-{n}"
                    spies = profile_.record(pids_by_process(stack.proc.pid), args.duration, out) if profile else []
                    cpu_before = by_process(stack.proc.pid, cpu_s)
                    runs[n] = asyncio.run(open_loop(stack.base, n, args.period, args.duration))
                    cpu = by_process(stack.proc.pid, cpu_s)
                    for spy in spies:
                        spy.wait()
                    runs[n]["cpu_ms_per_message"] = {k: 1000 * (cpu[k] - cpu_before.get(k, 0.0)) / runs[n]["messages"]
                                                     for k in cpu}
                    print(open_loop_row(label, runs[n]), flush=True)
                    print("          CPU ms per message: " + ", ".join(
                        f"{k} {v:.1f}" for k, v in runs[n]["cpu_ms_per_message"].items()), flush=True)
                    for sample in runs[n]["error_samples"]:
                        print(f"          error: {sample}", flush=True)
                    if spies:
                        print(f"          where the CPU goes (py-spy samples in {out}):", flush=True)
                        print("\n".join("        " + line for line in profile_.report(out, runs[n]["messages"], runs[n]["cpu_ms_per_message"])),
                              flush=True)
                    waited = asyncio.run(settled(stack.base, args.settle_limit))
                    if waited > args.settle_limit:
                        print(f"          still busy after {waited:.0f} s: the next figures are pessimistic", flush=True)
                return runs[n]

            best = (find_max(lambda n: holds(run(n)), args.find_start, args.find_limit, args.resolution)
                    if args.find_max else None)
            for n in sorted(levels):
                if any(overloaded(r) for m, r in runs.items() if m < n):
                    print(f"{label:<10}{n:>9}  not run: fewer customers already overloaded the stack "
                          "(answers < half the offered rate)", flush=True)
                    continue
                run(n, profile=bool(args.profile))
            summary.append((label, runs, best, at_rest, by_process(stack.proc.pid, rss_mb)))
        finally:
            stack.stop()
    print("\nsummary")
    for label, runs, best, at_rest, loaded in summary:
        p95 = ", ".join(f"{n}: {runs[n]['p95_ms']:.0f} ms" + (f" ({runs[n]['errors']} errors)" if runs[n]["errors"] else "")
                        for n in sorted(runs))
        print(f"  {label}: p95 by customers {p95}")
        if best is not None:
            print(f"  {label}: most customers with p95 <= {P95_LIMIT_MS:.0f} ms and no error: {best} "
                  f"({best / args.period:.0f} messages/s offered)")
        print(f"  {label}: resident MB at rest / after the load: "
              + ", ".join(f"{k} {at_rest[k]:.0f}/{loaded.get(k, 0):.0f}" for k in at_rest))


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


def _free_port_block(n: int) -> int:
    """The first of `n` consecutive free ports (Rasa instances take --rasa-port on)."""
    import socket

    for _ in range(50):
        first = _free_ports(1)[0]
        if first + n > 65535:
            continue
        taken = []
        try:
            for port in range(first, first + n):
                s = socket.socket()
                taken.append(s)
                s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in taken:
                s.close()
    raise RuntimeError(f"no {n} consecutive free ports")


def main_cold(args: argparse.Namespace) -> None:
    """From `python -m bot run` (trained model, fresh database) to the first answered message,
    `--cold-start` times, the --baseline checkout and this one alternating in the same run."""
    stacks = [("ours", ROOT)]
    if args.baseline:
        stacks.insert(0, ("baseline", Path(args.baseline).resolve()))
    times: Dict[str, List[float]] = {label: [] for label, _ in stacks}
    for i in range(args.cold_start):
        for label, checkout in stacks:
            stack = RunningStack(label, checkout)
            try:
                times[label].append(stack.start_s)
            finally:
                stack.stop()
            print(f"{label:<10} start {i + 1}: first answer {stack.start_s:.1f} s after the command", flush=True)
    for label, values in times.items():
        print(f"{label}: median {statistics.median(values):.1f} s, all: " + ", ".join(f"{v:.1f}" for v in values))
    if args.baseline:
        print(f"ratio baseline/ours (medians): "
              f"{statistics.median(times['baseline']) / statistics.median(times['ours']):.2f}x")


def main(args: argparse.Namespace) -> None:
    if args.cold_start:
        main_cold(args)
        return
    if args.open_loop:
        main_open(args)
        return
    args.customers = (args.customers or [16])[0]
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
