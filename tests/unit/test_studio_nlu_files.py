"""Appending examples to data/nlu/<topic>.yml (bot.studio.nlu_files): the right file and block,
formatting and comments kept, duplicates refused, order numbers annotated, personal data replaced."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.studio import nlu_files

ORDERS = """version: "3.1"

# Orders: status and cancellation.
nlu:
- intent: check_order_status
  examples: |
    - 택배 언제 와요?
    # a comment inside the block stays
    - 배송조회요

- intent: cancel_order   # trailing comment
  examples: |
    - 주문 취소할게요
    - [20261201000523](order_id) 취소해 주세요
# the end of the file
"""
SMALLTALK = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - 안녕하세요
"""
DOMAIN = """version: "3.1"
intents:
  - check_order_status
  - cancel_order
  - greet
  - faq
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "data" / "nlu" / "orders.yml").write_text(ORDERS)
    (tmp_path / "data" / "nlu" / "smalltalk.yml").write_text(SMALLTALK)
    (tmp_path / "data" / "nlu" / "faq.yml").write_text('nlu:\n- intent: faq/payment\n  examples: |\n    - 결제 방법\n')
    (tmp_path / "domain.yml").write_text(DOMAIN)
    return tmp_path


def test_an_example_goes_after_the_last_example_of_its_block_and_nothing_else_changes(project):
    added = nlu_files.append_example(project, "주문  물리고   싶어요", "cancel_order")
    assert (added.file, added.lines, added.example) == ("data/nlu/orders.yml", [(15, "    - 주문 물리고 싶어요\n")],
                                                        "주문 물리고 싶어요")
    expected = ORDERS.replace("    - [20261201000523](order_id) 취소해 주세요\n",
                              "    - [20261201000523](order_id) 취소해 주세요\n    - 주문 물리고 싶어요\n")
    assert (project / "data/nlu/orders.yml").read_text() == expected
    blocks = yaml.safe_load(expected)["nlu"]
    assert blocks[1]["examples"].splitlines()[-1] == "- 주문 물리고 싶어요"


def test_a_block_followed_by_a_blank_line_gets_the_example_before_it(project):
    added = nlu_files.append_example(project, "짐이 아직도 안와", "check_order_status")
    assert added.lines == [(10, "    - 짐이 아직도 안와\n")]
    assert (project / "data/nlu/orders.yml").read_text().splitlines()[7:11] == [
        "    # a comment inside the block stays", "    - 배송조회요", "    - 짐이 아직도 안와", ""]


def test_the_file_is_the_one_holding_the_intent(project):
    assert nlu_files.append_example(project, "ㅎㅇㅎㅇ", "greet").file == "data/nlu/smalltalk.yml"
    assert (project / "data/nlu/smalltalk.yml").read_text().endswith("    - 안녕하세요\n    - ㅎㅇㅎㅇ\n")


def test_duplicates_are_refused_whatever_their_intent_and_annotations(project):
    with pytest.raises(nlu_files.DuplicateExample) as exc:
        nlu_files.append_example(project, "택배  언제 와요?", "cancel_order")
    assert (exc.value.intent, exc.value.file) == ("check_order_status", "data/nlu/orders.yml")
    with pytest.raises(nlu_files.DuplicateExample):
        nlu_files.append_example(project, "20261201000523 취소해 주세요", "cancel_order")
    assert (project / "data/nlu/orders.yml").read_text() == ORDERS


def test_unknown_intents_are_refused(project):
    with pytest.raises(nlu_files.UnknownIntent):
        nlu_files.append_example(project, "아무 말", "no_such_intent")
    with pytest.raises(nlu_files.UnknownIntent):
        nlu_files.append_example(project, "결제 수단 뭐 있어요", "faq")  # a retrieval intent: by its topic
    assert nlu_files.known_intents(project) == ["cancel_order", "check_order_status", "faq/payment", "greet"]
    assert nlu_files.append_example(project, "결제 수단 뭐 있어요", "faq/payment").file == "data/nlu/faq.yml"


def test_order_numbers_are_annotated_as_the_extractor_finds_them(project):
    added = nlu_files.append_example(project, "20261119000288 주문 물릴래요", "cancel_order")
    assert added.example == "[20261119000288](order_id) 주문 물릴래요"
    added = nlu_files.append_example(project, "2026-1119-000288 이거 취소요", "cancel_order")
    assert added.example == '[2026-1119-000288]{"entity": "order_id", "value": "20261119000288"} 이거 취소요'
    examples = yaml.safe_load((project / "data/nlu/orders.yml").read_text())["nlu"][1]["examples"]
    assert '- [2026-1119-000288]{"entity": "order_id", "value": "20261119000288"} 이거 취소요' in examples


def test_personal_data_is_replaced_by_placeholders_never_copied(project):
    added = nlu_files.append_example(project, "010-9876-5432로 연락 주시고 주문 취소해 주세요", "cancel_order",
                                     names=["박서준"])
    assert added.example == "010-1234-5678로 연락 주시고 주문 취소해 주세요"
    added = nlu_files.append_example(project, "박서준인데요 서울시 강남구 테헤란로 152 주문 취소", "cancel_order",
                                     names=["박서준"])
    assert added.example == "홍길동인데요 서울시 마포구 월드컵로 12 주문 취소"
    added = nlu_files.append_example(project, "[전화번호]로 전화 주세요 주문 취소", "cancel_order")  # a masked copy
    assert added.example == "010-1234-5678로 전화 주세요 주문 취소"
    content = (project / "data/nlu/orders.yml").read_text()
    assert "9876" not in content and "박서준" not in content and "테헤란로" not in content
