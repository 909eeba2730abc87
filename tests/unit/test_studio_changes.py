"""The undo log (bot.studio.changes): a revert removes exactly the lines the studio added,
and leaves what authors edited by hand alone."""
from __future__ import annotations

from datetime import datetime

from bot.studio import changes
from bot.studio.tables import StudioChange

NOW = datetime(2026, 11, 26, 3, 0)
BASE = "nlu:\n- intent: greet\n  examples: |\n    - 안녕\n    - 하이\n"


def test_remove_lines_takes_out_only_the_added_lines():
    content = BASE + "    - ㅎㅇ\n"
    assert changes.remove_lines(content, [(6, "    - ㅎㅇ\n")]) == (BASE, 1)


def test_lines_moved_by_hand_edits_are_still_found_and_hand_edits_stay():
    added = BASE + "    - ㅎㅇ\n"
    edited = "# 손으로 추가한 주석\n" + added + "    - 손으로 쓴 예시\n"
    content, found = changes.remove_lines(edited, [(6, "    - ㅎㅇ\n")])
    assert (content, found) == ("# 손으로 추가한 주석\n" + BASE + "    - 손으로 쓴 예시\n", 1)


def test_a_line_the_author_changed_by_hand_is_left_alone():
    content = BASE + "    - ㅎㅇㅎㅇ\n"
    assert changes.remove_lines(content, [(6, "    - ㅎㅇ\n")]) == (content, 0)


def test_the_nearest_of_identical_lines_is_removed():
    content = "a\nx\nb\nc\nx\n"
    assert changes.remove_lines(content, [(5, "x\n")]) == ("a\nx\nb\nc\n", 1)


def test_record_and_revert_one_change(tmp_path, session):
    path = tmp_path / "data" / "nlu" / "smalltalk.yml"
    path.parent.mkdir(parents=True)
    path.write_text(BASE + "    - ㅎㅇ\n")
    change = changes.record(session, "data/nlu/smalltalk.yml", [(6, "    - ㅎㅇ\n")], "+ ㅎㅇ (greet)", 3, "정시나", NOW)
    path.write_text(path.read_text() + "    - 손으로 쓴 예시\n")  # an author's hand edit afterwards
    assert changes.revert(session, tmp_path, change.id, "정시나", NOW) == 1
    assert path.read_text() == BASE + "    - 손으로 쓴 예시\n"
    row = session.get(StudioChange, change.id)
    assert (row.reverted_at, row.reverted_by) == (NOW, "정시나")
    assert changes.history(session)[0]["reverted_by"] == "정시나"
    try:
        changes.revert(session, tmp_path, change.id, "정시나", NOW)
        raise AssertionError("reverted twice")
    except changes.NotRevertable as exc:
        assert str(exc) == "이미 되돌린 변경이에요."
    assert changes.revert(session, tmp_path, 999999, "정시나", NOW) is None
