"""Korean names of what the dashboard counts (intents, FAQ topics, handoff targets)."""
from __future__ import annotations

INTENT_LABELS = {
    "check_order_status": "주문·배송 조회",
    "cancel_order": "주문 취소",
    "request_refund": "환불·반품 신청",
    "check_refund_status": "환불 진행 조회",
    "return_or_exchange": "반품·교환",
    "change_shipping_address": "배송지 변경",
    "request_human": "상담원 연결 요청",
    "contact_seller": "판매자 문의",
    "faq": "자주 묻는 질문",
    "inform": "정보 입력(주문번호 등)",
    "greet": "인사",
    "goodbye": "작별 인사",
    "thank": "감사 인사",
    "affirm": "긍정",
    "deny": "부정",
    "bot_challenge": "챗봇인지 질문",
    "out_of_scope": "범위 밖 질문",
    "nlu_fallback": "이해하지 못한 메시지",
}
FAQ_LABELS = {
    "faq/payment": "결제 수단·영수증",
    "faq/coupon_points": "쿠폰·적립금",
    "faq/shipping_policy": "배송비·배송 기간",
    "faq/return_policy": "반품·교환 정책",
}
TARGET_LABELS = {"agent": "상담원", "seller": "판매자"}
