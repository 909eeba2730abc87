"""The chat service (bot.conversation.service.Chat) on a real database, with a fake Rasa client:
what is stored, what is pushed to the websockets, and who is asked to answer."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from sqlalchemy import select

from bot import db as bot_db
from bot.conversation.broker import Broker
from bot.conversation.models import Conversation, Message
from bot.conversation.rasa_client import RasaUnavailable
from bot.conversation.service import (
    AGENT_BUTTON, BOT_DOWN, MODE_LABELS, STAFF_CHANNEL, TOO_LONG, Chat, NoConversation, conversation_channel,
    neutralise,
)
from bot.conversation import service


class FakeRasa:
    """Answers each message with the replies queued for it; records what it was sent."""

    def __init__(self) -> None:
        self.sent: List[tuple] = []
        self.message_ids: List[str] = []
        self.rewound: List[str] = []
        self.answers: List[List[Dict[str, Any]]] = []
        self.down = False
        self.delay = 0.0

    async def send(self, sender: str, message: str, metadata: Dict[str, Any],
                   message_id: str = None) -> List[Dict[str, Any]]:
        self.sent.append((sender, message, metadata))
        self.message_ids.append(message_id)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.down:
            raise RasaUnavailable("connection refused")
        return self.answers.pop(0) if self.answers else []

    async def rewind(self, sender: str) -> None:
        self.rewound.append(sender)


class FakeDesk:
    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.requests: List[tuple] = []

    def open_ticket(self, conversation_id: str, request) -> List[dict]:
        self.requests.append((conversation_id, request))
        return [self.chat.post(conversation_id, "system", "상담원이 곧 답변드릴게요. (대기 1명)")]


@pytest.fixture
def chat(db_url, seeded_db):
    chat = Chat(url=db_url, rasa=FakeRasa(), broker=Broker(), max_chars=20)
    chat.handoff = FakeDesk(chat)
    return chat


def drain(queue: asyncio.Queue) -> List[dict]:
    return [queue.get_nowait() for _ in range(queue.qsize())]


def say(chat: Chat, conversation_id: str, text: str, payload=None, client_id=None) -> dict:
    return asyncio.run(chat.customer_says(conversation_id, text, payload, client_id=client_id))


def customer_rows(chat: Chat, conversation_id: str) -> List[tuple]:
    with bot_db.session_scope(chat.url) as s:
        return [(m.text, m.client_id, m.answered_at is not None) for m in s.execute(
            select(Message).where(Message.conversation_id == conversation_id, Message.sender == "customer")
            .order_by(Message.id)).scalars()]


def texts(messages: List[dict]) -> List[tuple]:
    return [(m["sender"], m["text"]) for m in messages]


def test_a_conversation_starts_with_the_bot(chat):
    conversation_id = chat.start_conversation(1)
    conv = chat.conversation(conversation_id)
    assert (conv.customer_id, conv.mode) == (1, "bot")
    assert chat.conversation("missing") is None and chat.messages_after(conversation_id) == []


def test_the_customer_message_and_the_bots_reply_are_stored_and_pushed(chat):
    conversation_id = chat.start_conversation(1)
    customer_socket = chat.broker.subscribe(conversation_channel(conversation_id))
    staff_socket = chat.broker.subscribe(STAFF_CHANNEL)
    chat.rasa.answers.append([{"text": "주문번호를 알려 주세요.", "buttons": [{"title": "최근 주문", "payload": "/recent"}]}])

    result = say(chat, conversation_id, "배송조회요")

    assert chat.rasa.sent == [(conversation_id, "배송조회요", {"customer_id": 1})]
    assert texts([result["message"]]) == [("customer", "배송조회요")]
    assert texts(result["replies"]) == [("bot", "주문번호를 알려 주세요.")]
    assert result["replies"][0]["buttons"] == [{"title": "최근 주문", "payload": "/recent"}]
    stored = chat.messages_after(conversation_id)
    assert stored == [result["message"], result["replies"][0]]
    assert chat.messages_after(conversation_id, after=stored[0]["id"]) == [stored[1]]
    assert drain(customer_socket) == [
        {"type": "message", "message": stored[0]},
        {"type": "typing", "on": True},
        {"type": "typing", "on": False},
        {"type": "message", "message": stored[1]},
    ]
    assert drain(staff_socket) == [{"type": "message", "conversation_id": conversation_id, "message": m}
                                   for m in stored]


def test_a_message_to_a_conversation_that_does_not_exist_is_refused_and_not_stored(chat):
    with pytest.raises(NoConversation):
        say(chat, "missing", "배송비 얼마예요?", client_id="client-0100")
    assert chat.rasa.sent == [] and customer_rows(chat, "missing") == []


def test_a_message_another_gateway_stored_a_moment_ago_is_answered_once(chat, monkeypatch):
    """Two gateways got the same message (a retry through a load balancer): the other one stored
    it between this one's look-up and its insert. The insert fails on the unique client id and
    this turn answers the stored message."""
    conversation_id = chat.start_conversation(1)
    with bot_db.session_scope(chat.url) as s:
        s.add(Message(conversation_id=conversation_id, sender="customer", text="배송비 얼마예요?",
                      client_id="client-0101", created_at=bot_db.utcnow()))
    looked = []
    earlier = service._earlier

    def not_yet_the_first_time(session, conversation_id, client_id):
        looked.append(client_id)
        return None if len(looked) == 1 else earlier(session, conversation_id, client_id)

    monkeypatch.setattr(service, "_earlier", not_yet_the_first_time)
    chat.rasa.answers.append([{"text": "배송비는 3,000원이에요."}])
    result = say(chat, conversation_id, "배송비 얼마예요?", client_id="client-0101")
    assert looked == ["client-0101", "client-0101"]
    assert texts(result["replies"]) == [("bot", "배송비는 3,000원이에요.")]
    assert customer_rows(chat, conversation_id) == [("배송비 얼마예요?", "client-0101", True)]
    assert [text for _, text, _ in chat.rasa.sent] == ["배송비 얼마예요?"]


def test_a_guest_is_sent_to_rasa_as_a_guest(chat):
    conversation_id = chat.start_conversation(None)
    say(chat, conversation_id, "안녕하세요")
    assert chat.rasa.sent == [(conversation_id, "안녕하세요", {"guest": True})]


def test_typed_text_cannot_pose_as_an_intent_payload(chat):
    conversation_id = chat.start_conversation(1)
    say(chat, conversation_id, '/stop{"a": 1}')
    assert chat.rasa.sent[0][1] == '／stop{"a": 1}'
    assert neutralise("  /x") == "／x" and neutralise("a/b") == "a/b"


def test_a_button_payload_counts_only_if_the_bot_offered_it(chat):
    conversation_id = chat.start_conversation(1)
    chat.rasa.answers.append([{"text": "취소할까요?", "buttons": [{"title": "네", "payload": "/affirm"}]}])
    say(chat, conversation_id, "취소해 주세요")
    say(chat, conversation_id, "네", payload="/affirm")
    say(chat, conversation_id, "주문 취소", payload="/cancel_order")
    assert [sent[1] for sent in chat.rasa.sent] == ["취소해 주세요", "/affirm", "주문 취소"]
    with bot_db.session_scope(chat.url) as s:
        metas = s.execute(select(Message.meta).where(Message.conversation_id == conversation_id,
                                                     Message.sender == "customer").order_by(Message.id)).scalars()
        assert list(metas) == [None, {"payload": "/affirm"}, None]


def test_a_too_long_message_is_stored_and_answered_without_the_bot(chat):
    conversation_id = chat.start_conversation(1)
    result = say(chat, conversation_id, "가" * 21)
    assert chat.rasa.sent == []
    assert texts(result["replies"]) == [("bot", TOO_LONG.format(limit=20))]


def test_while_a_human_has_the_conversation_the_bot_is_not_asked(chat):
    conversation_id = chat.start_conversation(1)
    customer_socket = chat.broker.subscribe(conversation_channel(conversation_id))
    chat.set_mode(conversation_id, "agent")
    result = say(chat, conversation_id, "아직인가요?")
    assert chat.rasa.sent == [] and result["replies"] == []
    assert chat.conversation(conversation_id).mode == "agent"
    assert drain(customer_socket)[0] == {"type": "status", "mode": "agent", "mode_label": MODE_LABELS["agent"]}


def test_when_rasa_is_down_the_customer_is_told_and_offered_an_agent(chat):
    conversation_id = chat.start_conversation(1)
    chat.rasa.down = True
    result = say(chat, conversation_id, "배송조회요")
    assert texts(result["replies"]) == [("bot", BOT_DOWN)]
    assert result["replies"][0]["buttons"] == [AGENT_BUTTON] == [{"title": "상담원 연결", "payload": "/request_human"}]
    assert customer_rows(chat, conversation_id) == [("배송조회요", None, False)], "not answered: may be retried"


def test_an_agent_asked_for_while_the_bot_is_down_is_called_by_the_gateway(chat):
    conversation_id = chat.start_conversation(1)
    chat.rasa.down = True
    offer = say(chat, conversation_id, "네")["replies"][0]
    result = say(chat, conversation_id, offer["buttons"][0]["title"], offer["buttons"][0]["payload"])
    assert chat.rasa.sent[-1][1] == "/request_human", "the offered button counts as the bot's own"
    assert texts(result["replies"]) == [("system", "상담원이 곧 답변드릴게요. (대기 1명)")]
    [(ticket_conversation, request)] = chat.handoff.requests
    assert ticket_conversation == conversation_id
    assert (request["target"], request["reason"], request["customer_id"]) == ("agent", "requested", 1)


def test_an_empty_answer_is_a_failed_action_the_turn_is_undone_and_the_customer_told(chat):
    conversation_id = chat.start_conversation(1)
    result = say(chat, conversation_id, "네", client_id="client-0001")
    assert chat.rasa.rewound == [conversation_id], "the tracker goes back to before 「네」"
    assert texts(result["replies"]) == [("bot", BOT_DOWN)] and result["replies"][0]["buttons"] == [AGENT_BUTTON]
    # The action server is back: the same message (same client id) is sent again and answered.
    chat.rasa.answers.append([{"text": "주문을 취소했어요."}])
    again = say(chat, conversation_id, "네", client_id="client-0001")
    assert again["message"] == result["message"]
    assert texts(again["replies"]) == [("bot", "주문을 취소했어요.")]
    assert chat.rasa.message_ids == [f"m{result['message']['id']}"] * 2, "Rasa knows it is the same message"
    assert customer_rows(chat, conversation_id) == [("네", "client-0001", True)]


def test_a_retried_message_is_stored_and_answered_once(chat):
    conversation_id = chat.start_conversation(1)
    chat.rasa.answers.append([{"text": "취소할까요?", "buttons": [{"title": "네", "payload": "/affirm"}]}])
    first = say(chat, conversation_id, "취소해 주세요", client_id="client-0001")
    again = say(chat, conversation_id, "취소해 주세요", client_id="client-0001")
    assert again == first and first["message"]["client_id"] == "client-0001"
    assert len(chat.rasa.sent) == 1
    assert customer_rows(chat, conversation_id) == [("취소해 주세요", "client-0001", True)]
    assert texts(chat.messages_after(conversation_id)) == [("customer", "취소해 주세요"), ("bot", "취소할까요?")]
    other = chat.start_conversation(1)  # ids are unique per conversation only
    chat.rasa.answers.append([{"text": "네"}])
    assert texts(say(chat, other, "취소해 주세요", client_id="client-0001")["replies"]) == [("bot", "네")]


def test_a_retry_while_the_first_attempt_runs_waits_for_it(chat):
    conversation_id = chat.start_conversation(1)
    chat.rasa.delay = 0.2
    chat.rasa.answers.append([{"text": "주문을 취소했어요."}])

    async def both():
        first = asyncio.ensure_future(chat.customer_says(conversation_id, "네", client_id="client-0002"))
        await asyncio.sleep(0.05)
        second = await chat.customer_says(conversation_id, "네", client_id="client-0002")
        return await first, second

    first, second = asyncio.run(both())
    assert first == second and texts(first["replies"]) == [("bot", "주문을 취소했어요.")]
    assert len(chat.rasa.sent) == 1
    assert customer_rows(chat, conversation_id) == [("네", "client-0002", True)]


def test_a_turn_goes_on_when_the_caller_hangs_up(chat):
    conversation_id = chat.start_conversation(1)
    chat.rasa.delay = 0.2
    chat.rasa.answers.append([{"text": "주문을 취소했어요."}])

    async def hang_up():
        caller = asyncio.ensure_future(chat.customer_says(conversation_id, "네", client_id="client-0003"))
        await asyncio.sleep(0.05)
        caller.cancel()  # the web server cancels a request whose client went away
        await asyncio.sleep(0.4)
        return await chat.customer_says(conversation_id, "네", client_id="client-0003")

    result = asyncio.run(hang_up())
    assert texts(result["replies"]) == [("bot", "주문을 취소했어요.")] and len(chat.rasa.sent) == 1


def test_a_handoff_payload_goes_to_the_desk_and_is_not_shown(chat):
    conversation_id = chat.start_conversation(1)
    request = {"target": "agent", "reason": "requested", "kind": "general", "order_id": None,
               "seller_id": None, "claim_id": None, "customer_id": 1,
               "intent": {"name": "request_human", "confidence": 0.97}, "slots": {}}
    chat.rasa.answers.append([{"text": "상담원을 연결해 드릴게요."}, {"custom": {"handoff": request}}])
    result = say(chat, conversation_id, "상담원 연결")
    assert chat.handoff.requests == [(conversation_id, request)]
    assert texts(result["replies"]) == [("bot", "상담원을 연결해 드릴게요."),
                                        ("system", "상담원이 곧 답변드릴게요. (대기 1명)")]
    with bot_db.session_scope(chat.url) as s:
        assert s.get(Conversation, conversation_id) is not None


def test_empty_answers_are_not_stored_and_nothing_said_is_a_failure(chat):
    conversation_id = chat.start_conversation(1)
    chat.rasa.answers.append([{"text": ""}, {"image": "https://example.invalid/x.png"}])
    assert texts(say(chat, conversation_id, "사진")["replies"]) == [("bot", BOT_DOWN)]
    assert texts(chat.messages_after(conversation_id)) == [("customer", "사진"), ("bot", BOT_DOWN)]
    chat.rasa.answers.append([{"text": ""}, {"text": "사진은 보낼 수 없어요."}])
    assert texts(say(chat, conversation_id, "사진")["replies"]) == [("bot", "사진은 보낼 수 없어요.")]


def test_replies_are_stored_with_the_answered_mark_so_a_gateway_killed_after_them_doubles_nothing(chat, monkeypatch):
    """The gateway dies right after storing the bot's reply (here: before pushing it to the
    sockets). The retry of the same client id gets that reply back; the bot is not asked again
    and no reply is stored twice."""
    conversation_id = chat.start_conversation(1)
    chat.rasa.answers.append([{"text": "3만 원 이상은 무료배송이에요."}])
    push = chat._push

    def killed(conversation_id, data):
        if data["sender"] == "bot":
            raise RuntimeError("killed")
        push(conversation_id, data)

    monkeypatch.setattr(chat, "_push", killed)
    with pytest.raises(RuntimeError):
        say(chat, conversation_id, "배송비 얼마예요?", client_id="client-0042")
    monkeypatch.undo()
    again = say(chat, conversation_id, "배송비 얼마예요?", client_id="client-0042")
    assert texts(again["replies"]) == [("bot", "3만 원 이상은 무료배송이에요.")]
    assert len(chat.rasa.sent) == 1
    with bot_db.session_scope(chat.url) as s:
        bot_rows = s.execute(select(Message.text).where(Message.conversation_id == conversation_id,
                                                        Message.sender == "bot")).scalars().all()
    assert bot_rows.count("3만 원 이상은 무료배송이에요.") == 1
