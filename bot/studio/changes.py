"""The undo log: every change the studio makes to data/ is one record (file, the lines it added,
author, time), and reverting it removes exactly those lines, nothing else.

Lines are found again by their exact text, nearest to where they were added: lines an author
added or moved by hand in between do not matter, and a line the author has since edited or
deleted by hand is left alone (it is reported as not found).
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.studio.tables import StudioChange


class NotRevertable(Exception):
    pass


def record(session: Session, file: str, lines: List[Tuple[int, str]], summary: str, author_id: int,
           author: str, at: datetime) -> StudioChange:
    change = StudioChange(file=file, lines=[[n, text] for n, text in lines], summary=summary, author_id=author_id,
                          author=author, at=at)
    session.add(change)
    session.flush()
    return change


def history(session: Session, limit: int = 50) -> List[dict]:
    rows = session.execute(select(StudioChange).order_by(StudioChange.id.desc()).limit(limit)).scalars()
    return [{"id": c.id, "file": c.file, "lines": [n for n, _ in c.lines], "summary": c.summary, "author": c.author,
             "at": c.at.isoformat() + "Z", "reverted_at": c.reverted_at.isoformat() + "Z" if c.reverted_at else None,
             "reverted_by": c.reverted_by} for c in rows]


def remove_lines(content: str, lines: List[Tuple[int, str]]) -> Tuple[str, int]:
    """The content without each given line (its exact text, the occurrence nearest its number);
    returns (new content, how many were found)."""
    current = content.splitlines(keepends=True)
    found = 0
    for number, text in sorted(lines, key=lambda item: -item[0]):
        want = text.rstrip("\n")
        candidates = [i for i, line in enumerate(current) if line.rstrip("\n") == want]
        if not candidates:
            continue
        nearest = min(candidates, key=lambda i: abs(i - (number - 1)))
        del current[nearest]
        found += 1
    return "".join(current), found


def revert(session: Session, project: Path, change_id: int, by: str, at: datetime) -> Optional[int]:
    """Take the change's lines out of its file; returns how many lines were removed."""
    change = session.get(StudioChange, change_id)
    if change is None:
        return None
    if change.reverted_at is not None:
        raise NotRevertable("이미 되돌린 변경이에요.")
    path = (project / change.file).resolve()
    if project.resolve() not in path.parents or not path.exists():
        raise NotRevertable(f"{change.file} 파일이 없어요.")
    content, found = remove_lines(path.read_text(encoding="utf-8"), [(n, t) for n, t in change.lines])
    path.write_text(content, encoding="utf-8")
    change.reverted_at, change.reverted_by = at, by
    return found
