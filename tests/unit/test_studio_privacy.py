"""Masks for what authors see, placeholders for what the training data gets (bot.studio.privacy)."""
from __future__ import annotations

from bot.studio.privacy import mask, placeholders


def test_masks_phone_address_and_known_or_introduced_names():
    assert mask("010-9876-5432로 연락 주세요") == "[전화번호]로 연락 주세요"
    assert mask("박서준 고객인데요 서울시 강남구 테헤란로 152 로 보내 주세요", ["박서준"]) == "[이름] 고객인데요 [주소] 로 보내 주세요"
    assert mask("받는 사람 김민지 이고 주문 20261119000288") == "받는 사람 [이름] 이고 주문 20261119000288"
    assert mask("제 이름은 이도현이에요") == "제 이름은 [이름]이에요"
    assert mask("배송 언제 와요", ["박서준"]) == "배송 언제 와요"


def test_placeholders_are_realistic_and_never_the_customers_data():
    text = "박서준이고 010-9876-5432, kim.minji@gmail.com 입니다"
    assert placeholders(text, ["박서준"]) == "홍길동이고 010-1234-5678, hong@example.com 입니다"
