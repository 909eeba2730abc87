"""Appending an example to the NLU training data, the way an author would by hand.

The example goes under its `- intent:` block in whichever data/nlu/<topic>.yml holds that block,
as one more `- ...` line after the block's last example: a text-level insertion, so every other
line of the file (formatting, comments, order) stays as it was. Before it is written:
- personal data is replaced by realistic placeholders (bot.studio.privacy), never copied;
- order numbers are annotated as the extractor finds them (`[20261119000288](order_id)`);
- a text already in the training data (under any intent, annotations aside) is refused.

    added = append_example(project_dir, "주문 어디쯤 왔어요", "check_order_status")
    added.file, added.lines  # "data/nlu/orders.yml", [(27, "    - 주문 어디쯤 왔어요\n")]
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import yaml

from bot.nlp.numbers import find_order_ids
from bot.studio.privacy import PLACEHOLDERS, placeholders

NLU_DIR = Path("data") / "nlu"
ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([a-z_0-9]+\)|\{[^}]*\})")
INTENT_LINE = re.compile(r"^(\s*)- intent:\s*(\S+)\s*(?:#.*)?$")


class UnknownIntent(Exception):
    pass


class DuplicateExample(Exception):
    def __init__(self, text: str, intent: str, file: str) -> None:
        super().__init__(f"이미 학습 데이터에 있는 문장이에요: 「{text}」 ({intent}, {file})")
        self.intent, self.file = intent, file


@dataclass
class Added:
    file: str  # relative to the project, e.g. "data/nlu/orders.yml"
    lines: List[Tuple[int, str]]  # (1-based line number, the line with its newline)
    example: str  # the example as written (placeholders, annotations)


def plain(example: str) -> str:
    """The text of an example without its annotations, spaces collapsed: what duplicates compare."""
    return " ".join(ANNOTATION.sub(r"\1", example).split())


def nlu_files(project: Path) -> List[Path]:
    return sorted((project / NLU_DIR).glob("*.yml"))


def intent_files(project: Path) -> Dict[str, Path]:
    """Which file holds each intent's block."""
    found: Dict[str, Path] = {}
    for path in nlu_files(project):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = INTENT_LINE.match(line)
            if m:
                found.setdefault(m.group(2), path)
    return found


def known_intents(project: Path) -> List[str]:
    """The domain's intents, retrieval intents by their topics (faq/<topic>) as the data defines them."""
    domain = yaml.safe_load((project / "domain.yml").read_text(encoding="utf-8")) or {}
    names = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}
    retrieval = {name for name in intent_files(project) if "/" in name and name.split("/")[0] in names}
    # A retrieval intent is chosen by its topic (faq/payment), never as a whole (faq).
    return sorted((names - {name.split("/")[0] for name in retrieval}) | retrieval)


def existing_examples(project: Path) -> Dict[str, Tuple[str, str]]:
    """plain(text) -> (intent, file) for every training example."""
    found: Dict[str, Tuple[str, str]] = {}
    for path in nlu_files(project):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu") or []:
            if "intent" not in block:
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found.setdefault(plain(line[2:]), (block["intent"], str(path.relative_to(project))))
    return found


def example_text(text: str, names: Iterable[str] = ()) -> str:
    """The customer's message as a training example: one line, placeholders, order numbers annotated."""
    text = placeholders(" ".join(text.split()), names)
    for label, value in PLACEHOLDERS.items():  # an author's copy of a masked text: 「[전화번호]로 주세요」
        text = text.replace(f"[{label}]", value)
    parts, position = [], 0
    for value, start, end in find_order_ids(text):
        written = text[start:end]
        parts.append(text[position:start])
        parts.append(f"[{written}](order_id)" if written == value
                     else f"[{written}]" + json.dumps({"entity": "order_id", "value": value}))
        position = end
    return "".join(parts) + text[position:]


def insertion_point(lines: List[str], intent: str) -> Optional[Tuple[int, str]]:
    """(index to insert at, indentation of the examples) in the intent's block, or None."""
    start = next((i for i, line in enumerate(lines) if (m := INTENT_LINE.match(line.rstrip("\n")))
                  and m.group(2) == intent), None)
    if start is None:
        return None
    block_indent = len(INTENT_LINE.match(lines[start].rstrip("\n")).group(1))
    last, indent = None, None
    i = start + 1
    while i < len(lines):
        line = lines[i].rstrip("\n")
        stripped = line.lstrip()
        depth = len(line) - len(stripped)
        if stripped and depth <= block_indent:
            break  # the next block (or a top-level key / comment)
        if stripped.startswith("- "):
            last, indent = i, line[:depth]
        i += 1
    if last is None:
        return None
    return last + 1, indent


def append_example(project: Path, text: str, intent: str, names: Iterable[str] = ()) -> Added:
    if intent not in known_intents(project):
        raise UnknownIntent(f"알 수 없는 인텐트예요: {intent}")
    path = intent_files(project).get(intent)
    if path is None:
        raise UnknownIntent(f"{intent} 인텐트의 예시 블록이 data/nlu/ 어디에도 없어요.")
    example = example_text(text, names)
    if not plain(example):
        raise UnknownIntent("빈 문장은 추가할 수 없어요.")
    known = existing_examples(project).get(plain(example))
    if known:
        raise DuplicateExample(plain(example), *known)
    content = path.read_text(encoding="utf-8")
    lines = content.splitlines(keepends=True)
    point = insertion_point(lines, intent)
    if point is None:
        raise UnknownIntent(f"{path.relative_to(project)}에서 {intent}의 examples 목록을 찾지 못했어요.")
    index, indent = point
    if index > 0 and not lines[index - 1].endswith("\n"):
        lines[index - 1] += "\n"
    new_line = f"{indent}- {example}\n"
    lines.insert(index, new_line)
    path.write_text("".join(lines), encoding="utf-8")
    return Added(file=str(path.relative_to(project)), lines=[(index + 1, new_line)], example=example)
