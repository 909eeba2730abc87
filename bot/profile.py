"""Where the time of each process goes, per message: py-spy samples of the running stack sorted
into the components of a turn (`python -m bot bench --open-loop --profile DIR`).

py-spy (`pip install py-spy`, not a dependency of the project) samples each process's Python
stacks RATE times a second while the benchmark runs. A sample whose innermost frame is Sanic's
`serve` is the event loop waiting for work (idle) and is left out; every other sample is time the
process's main thread was busy (computing, or blocked in a call such as a commit's fsync: time
the event loop could not serve anyone). Each busy sample goes to the first component whose
marker its stack contains, in the order below (the more specific first). Busy ms per message =
samples / RATE / messages sent while recording; the process's CPU ms per message (from /proc)
is printed beside it.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

RATE = 100  # samples per second
# Innermost frames of a thread waiting for work: the event loop, an idle worker thread.
IDLE = ("serve (sanic/server/runners.py", "_worker (concurrent/futures/thread.py")

# (component, markers): the first component with a marker in a sample's stack takes it.
COMPONENTS: Dict[str, List[Tuple[str, Tuple[str, ...]]]] = {
    "rasa": [
        ("event broker", ("rasa/core/brokers/", "bot/analytics/rasa_broker.py")),
        ("retry check (tracker read)", ("_answered (bot/rasa_channel.py",)),
        ("tracker store (read, write)", ("rasa/core/tracker_store.py",)),
        ("tokenizer (Kiwi)", ("bot/nlp/kiwi_tokenizer.py", "rasa/nlu/tokenizers/")),
        ("featurizers", ("rasa/nlu/featurizers/",)),
        ("ResponseSelector", ("rasa/nlu/selectors/response_selector.py",)),
        ("DIET", ("rasa/nlu/classifiers/diet_classifier.py",)),
        ("other NLU (entities, graph)", ("_parse_message_with_graph (rasa/core/processor.py",)),
        ("policies", ("_predict_next_with_tracker (rasa/core/processor.py", "rasa/core/policies/")),
        ("action server call", ("rasa/core/actions/action.py",)),
        ("HTTP, JSON, the rest", ("",)),
    ],
    "gateway": [
        ("analytics consumer", ("bot/analytics/consumer.py",)),
        ("database (SQLAlchemy, SQLite)", ("sqlalchemy/",)),
        ("Rasa client", ("bot/conversation/rasa_client.py", "aiohttp/")),
        ("HTTP, JSON, the rest", ("",)),
    ],
    "actions": [
        ("shop database (SQLAlchemy, SQLite)", ("sqlalchemy/",)),
        ("actions' code", ("(actions/", "bot/shop/")),
        ("HTTP, JSON, SDK", ("",)),
    ],
}


def component(process: str, stack: str) -> str:
    for name, markers in COMPONENTS[process]:
        if any(marker in stack for marker in markers):
            return name
    return "HTTP, JSON, the rest"


def busy_samples(process: str, raw: Iterable[str]) -> Dict[str, int]:
    """Busy samples per component, from py-spy's raw format ("frame;frame;... count")."""
    counts: Dict[str, int] = {name: 0 for name, _ in COMPONENTS[process]}
    for line in raw:
        stack, _, n = line.rstrip("\n").rpartition(" ")
        if stack and n.isdigit() and not stack.rsplit(";", 1)[-1].startswith(IDLE):
            counts[component(process, stack)] += int(n)
    return counts


def py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not found:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    return found


def record(pids: Dict[str, int], seconds: float, out: Path) -> List[subprocess.Popen]:
    """py-spy on each process for `seconds`, into out/<process>.txt (raw format)."""
    out.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([py_spy(), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", str(RATE),
                              "--format", "raw", "--nonblocking", "--output", str(out / f"{name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in pids.items() if name in COMPONENTS]


def report(out: Path, messages: int, cpu_ms_per_message: Dict[str, float]) -> List[str]:
    """Lines: per process, its busy and CPU ms per message, then each component's share and ms."""
    lines = []
    for process in COMPONENTS:
        path = out / f"{process}.txt"
        if not path.exists():
            continue
        counts = busy_samples(process, path.read_text().splitlines())
        total = sum(counts.values()) or 1
        busy = 1000 * sum(counts.values()) / RATE / max(1, messages)
        lines.append(f"  {process}: busy {busy:.1f} ms per message (CPU {cpu_ms_per_message.get(process, 0.0):.1f} ms)")
        for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
            lines.append(f"    {name:<34}{100 * count / total:>5.1f} %{1000 * count / RATE / max(1, messages):>7.1f} ms")
    return lines
