"""Messages the serving model gets wrong, chosen at run time, for the studio's integration and
browser tests: what the model trained from the repo's data gets wrong changes with that data, so
a fixed list would go stale the day someone adds examples."""
from __future__ import annotations

from pathlib import Path

import requests

from bot.studio.inbox import NEAR_DUPLICATE, UNSURE_BELOW, bigrams, normal, similar

# Phrasings the repo's data does not teach, with the intent an author would give them. Which of
# them the serving model gets wrong depends on the data of the day, so step 1 asks the serving
# model (/model/parse) and keeps those it gets wrong AND that reach the inbox (unsure or fallback);
# each comes with two typings of the same message, to show the inbox's near-duplicate groups.
POOL = [
    ("주문 물리고 싶어요", "cancel_order"),
    ("주문 물릴래요", "cancel_order"),
    ("산 거 무를 수 있나", "cancel_order"),
    ("짐이 아직도 안와", "check_order_status"),
    ("택배 어디쯤 굴러가고 있음?", "check_order_status"),
    ("물건 언제 떨어져요", "check_order_status"),
    ("받을 곳 바꿀래", "change_shipping_address"),
    ("돈 언제 들어와요 취소한 거", "check_refund_status"),
    ("돈 돌려줘", "request_refund"),
    ("이거 딴 걸로 바꿔줘", "return_or_exchange"),
    ("사람이랑 얘기할래", "request_human"),
    ("파는 사람한테 물어볼래", "contact_seller"),
    ("결제한 거 없던 걸로 해줘", "cancel_order"),
    ("주소 잘못 적었어 ㅠ", "change_shipping_address"),
    ("환불금 들어왔나 봐줘", "check_refund_status"),
    ("상담사님 불러줘", "request_human"),
    ("사이즈 안 맞아서 다른 걸로", "return_or_exchange"),
]
NEEDED = 2


def typings(text: str):
    return [text, text.replace(" ", "") + "!!", text + " ㅠ"]


def file_of(intent: str) -> str:
    """The repo's NLU file that holds `intent` (the studio appends there)."""
    root = Path(__file__).resolve().parents[1]
    for path in sorted((root / "data" / "nlu").glob("*.yml")):
        if f"- intent: {intent}\n" in path.read_text():
            return str(path.relative_to(root))
    raise AssertionError(f"no NLU file holds {intent}")


def parse(stack, text: str):
    """(intent, confidence) from the model the stack's Rasa serves now."""
    resp = requests.post(stack.rasa_url + "/model/parse", params={"token": stack.rasa_token}, json={"text": text},
                         timeout=60)
    resp.raise_for_status()
    intent = resp.json()["intent"]
    return intent["name"], intent["confidence"]


def reaches_inbox(prediction) -> bool:
    name, confidence = prediction
    return name == "nlu_fallback" or confidence < UNSURE_BELOW


def wrong_ones(stack):
    """Step 1's messages: those of POOL the serving model gets wrong and is unsure of, none a
    near-duplicate of another; the first whose three typings all reach the inbox comes first."""
    wrong = {}
    for text, intent in POOL:
        prediction = parse(stack, text)
        near = any(similar(bigrams(normal(text)), bigrams(normal(t))) >= NEAR_DUPLICATE for t in wrong)
        if prediction[0] != intent and reaches_inbox(prediction) and not near:
            wrong[text] = intent
    grouped = next((t for t in wrong if all(reaches_inbox(parse(stack, v)) for v in typings(t)[1:])), None)
    assert grouped and len(wrong) >= NEEDED, (
        f"the serving model gets too few of the pool wrong to show the loop: {wrong}; add harder phrasings to POOL")
    chosen = [grouped] + [t for t in wrong if t != grouped][:NEEDED]
    return {t: (wrong[t], file_of(wrong[t])) for t in chosen}, grouped


