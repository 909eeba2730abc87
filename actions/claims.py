"""Refunds, returns and exchanges of delivered orders, and the status of a refund."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.handoff_payload import hand_off
from actions.identity import latest_text
from actions.question import CONFIRM, RETURN_REASON, asked
from actions.scenario import ScenarioAction, run_scenario
from actions.wording import day_label, order_vars, won
from bot.db import utcnow
from bot.nlp.keywords import reason_from_text, wants_exchange
from bot.shop import policy, repo
from bot.shop.models import Order, Status

CLAIM_KIND_LABELS = {"cancel": "취소", "return": "반품", "exchange": "교환", "address": "배송지 변경"}
CLAIM_STATUS_LABELS = {
    "requested": "접수",
    "approved": "승인",
    "rejected": "거절",
    "collected": "회수 완료",
    "refunded": "환불 완료",
    "completed": "처리 완료",
}
_REASONS = (policy.CHANGE_OF_MIND, policy.DEFECT, policy.WRONG_ITEM)


def claim_reason(tracker: Tracker) -> Optional[str]:
    """From a reason button, else from what the customer wrote."""
    chosen = tracker.get_slot("return_reason")
    if chosen in _REASONS:
        return chosen
    return reason_from_text(latest_text(tracker))


def refund(dispatcher: CollectingDispatcher, tracker: Tracker, session: Session, order: Order) -> List[EventType]:
    """A refund of a delivered order is a return; the fee rule decides the amount."""
    status = Status(order.status)
    reason = claim_reason(tracker)
    values = order_vars(order)
    if status is Status.DELIVERED and reason is None:
        dispatcher.utter_message(response="utter_ask_return_reason", **values)
        return asked(RETURN_REASON)
    decision = policy.return_request(status, order.delivered_at, utcnow(), reason or policy.CHANGE_OF_MIND,
                                     order.total_amount, order.seller.return_shipping_fee)
    events: List[EventType] = [SlotSet("return_reason", reason)]
    if decision.outcome == policy.ALLOW:
        values.update(days=decision.days_since_delivery, fee=won(decision.fee), refund=won(decision.refund_amount),
                      reason_label=policy.RETURN_REASON_LABELS[reason])
        response = "utter_return_confirm_fee" if decision.fee else "utter_return_confirm_free"
        dispatcher.utter_message(response=response, **values)
        return events + [SlotSet("pending_change", {"kind": "return", "order_id": order.id, "reason": reason})] \
            + asked(CONFIRM)
    if decision.outcome == policy.AGENT:
        values.update(days=decision.days_since_delivery)
        response = "utter_return_late_defect" if decision.code == "late_defect" else "utter_return_confirmed_order"
        dispatcher.utter_message(response=response, **values)
        return events + hand_off(dispatcher, tracker, target="agent", reason=decision.code, order=order)
    values.update(days=decision.days_since_delivery)
    dispatcher.utter_message(response=f"utter_return_refused_{decision.code}", **values)
    return events


def exchange(dispatcher: CollectingDispatcher, tracker: Tracker, session: Session, order: Order) -> List[EventType]:
    """Exchanges need the seller's stock: within the window they become a seller request."""
    status = Status(order.status)
    reason = claim_reason(tracker)
    values = order_vars(order)
    decision = policy.exchange_request(status, order.delivered_at, utcnow(), reason or policy.CHANGE_OF_MIND)
    if decision.code == "window_passed" and reason is None:
        dispatcher.utter_message(response="utter_ask_return_reason", **values)
        return asked(RETURN_REASON)
    values.update(days=decision.days_since_delivery)
    if decision.outcome == policy.SELLER:
        dispatcher.utter_message(response="utter_exchange_confirm", **values)
        detail = latest_text(tracker)
        return [SlotSet("pending_change", {"kind": "exchange", "order_id": order.id,
                                           "reason": reason or policy.CHANGE_OF_MIND, "detail": detail})] \
            + asked(CONFIRM)
    if decision.outcome == policy.AGENT:
        response = "utter_return_late_defect" if decision.code == "late_defect" else "utter_return_confirmed_order"
        dispatcher.utter_message(response=response, **values)
        return hand_off(dispatcher, tracker, target="agent", reason=decision.code, kind="exchange", order=order)
    dispatcher.utter_message(response=f"utter_return_refused_{decision.code}", **values)
    return []


def refund_status(dispatcher: CollectingDispatcher, tracker: Tracker, session: Session, order: Order) -> List[EventType]:
    claim = repo.latest_claim(session, order.id, kinds=("cancel", "return"))
    values = order_vars(order)
    if claim is None:
        dispatcher.utter_message(response="utter_refund_status_none", **values)
        return []
    values.update(
        claim_no=claim.claim_no,
        kind_label=CLAIM_KIND_LABELS.get(claim.kind, claim.kind),
        claim_status_label=CLAIM_STATUS_LABELS.get(claim.status, claim.status),
        amount=won(claim.refund_amount),
        when=refund_timing(claim.kind, claim.status, claim.expected_refund_date),
    )
    dispatcher.utter_message(response="utter_refund_status", **values)
    return []


def refund_timing(kind: str, status: str, expected) -> str:
    if status == "refunded":
        return f"{day_label(expected)}에 환불이 완료됐어요." if expected else "환불이 완료됐어요."
    if status == "rejected":
        return "요청이 거절되어 환불되지 않았어요. 자세한 내용은 상담원에게 문의해 주세요."
    if expected is not None:
        return f"{day_label(expected)}까지 결제하신 수단으로 환불될 예정이에요."
    if kind == "return":
        return "상품이 회수되고 검수가 끝나면 환불돼요. 회수는 보통 1~3일 걸려요."
    return "판매자가 취소를 승인하면 바로 환불돼요."


class ActionRequestRefund(ScenarioAction):
    action_name, scenario_name, scenario = "action_request_refund", "refund", staticmethod(refund)


class ActionReturnOrExchange(ScenarioAction):
    """One intent for both: the words say whether the item is swapped or sent back for money."""

    action_name = "action_return_or_exchange"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if wants_exchange(latest_text(tracker)):
            return run_scenario(dispatcher, tracker, "exchange", exchange, continuing=False)
        return run_scenario(dispatcher, tracker, "return", refund, continuing=False)


class ActionCheckRefundStatus(ScenarioAction):
    action_name, scenario_name, scenario = "action_check_refund_status", "refund_status", staticmethod(refund_status)
