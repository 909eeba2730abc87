"""bot.analytics.consumer: Rasa's endpoints for the broker, and both consumers on real brokers:
Rasa's own SQL event broker class writing a SQLite file, and RabbitMQ (skipped if not running)."""
from __future__ import annotations

import asyncio
import json
import socket
import uuid

import pytest
from sqlalchemy import func, select

from bot import db as bot_db
from bot.analytics import consumer
from bot.analytics.models import AnalyticsEvent, BrokerCursor, ConversationFacts

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"


def rasa_events(sender: str, t0: float = 1_795_000_000.0) -> list:
    """What Rasa publishes for one turn: user (parsed), action, bot, slot and listen events."""
    return [
        {"sender_id": sender, "event": "user", "timestamp": t0, "text": "환불 언제 돼요?", "message_id": f"m-{sender}",
         "parse_data": {"intent": {"name": "check_refund_status", "confidence": 0.97},
                        "entities": [{"entity": "order_id", "value": "20261118000342"}]}},
        {"sender_id": sender, "event": "action", "timestamp": t0 + 0.1, "name": "action_check_refund_status",
         "policy": "RulePolicy", "confidence": 1.0},
        {"sender_id": sender, "event": "bot", "timestamp": t0 + 0.2, "text": "주문번호를 알려 주세요.",
         "data": {"buttons": None}, "metadata": {"utter_action": "utter_ask_order_id"}},
        {"sender_id": sender, "event": "slot", "timestamp": t0 + 0.3, "name": "order_id", "value": None},
        {"sender_id": sender, "event": "action", "timestamp": t0 + 0.4, "name": "action_listen"},
    ]


def count(url: str, sender: str) -> int:
    with bot_db.session_scope(url) as s:
        return s.execute(select(func.count()).select_from(AnalyticsEvent)
                         .where(AnalyticsEvent.conversation_id == sender)).scalar_one()


def test_the_default_broker_is_rasas_sql_broker_beside_a_sqlite_database(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/shop.db"}
    assert consumer.broker_url(env) == f"sqlite:///{tmp_path}/rasa_events.db"
    assert consumer.endpoint_lines(env) == ["event_broker:", "  type: bot.analytics.rasa_broker.TurnSQLEventBroker",
                                            f'  url: "sqlite:///{tmp_path}/rasa_events.db"']
    pg = consumer.broker_url({"DATABASE_URL": "postgresql://postgres@127.0.0.1/shop"})
    assert pg == f"sqlite:///{bot_db.VAR}/rasa_events-shop.db"


def test_rabbitmq_in_production():
    env = {"EVENT_BROKER_URL": "amqp://mq%40user:p%2Fw@mq.internal:5673/", "EVENT_BROKER_QUEUE": "cs_events"}
    assert consumer.endpoint_lines(env) == ["event_broker:", "  type: pika", "  url: mq.internal", "  port: 5673",
                                            "  username: mq@user", "  password: p/w", "  queues:", "    - cs_events"]
    assert consumer.source_for_refresh(env) is None


def test_the_sql_broker_tail_stores_each_event_once(tmp_path, new_db_url):
    from rasa.core.brokers.sql import SQLEventBroker

    url, source = new_db_url(), f"sqlite:///{tmp_path}/rasa_events.db"
    broker = SQLEventBroker(host=source)  # Rasa's own class writes the table we read
    for event in rasa_events("conv-a"):
        broker.publish(event)
    assert consumer.drain_sql_broker(url, source) == 5
    assert count(url, "conv-a") == 3  # user, the scenario's action, bot; the slot and the listen are not kept
    with bot_db.session_scope(url) as s:
        user = s.execute(select(AnalyticsEvent).where(AnalyticsEvent.kind == "user")).scalar_one()
        assert (user.intent, user.confidence, user.data) == ("check_refund_status", 0.97, {
            "entities": ["order_id"], "message_id": "m-conv-a", "values": [["order_id", "20261118000342"]]})
        facts = s.get(ConversationFacts, "conv-a")
        assert (facts.asked, facts.first_intent, facts.question_pending_at is None) == (True, "check_refund_status", True)
        s.get(BrokerCursor, source).position = 0  # a consumer that lost its cursor reads everything again
    assert consumer.drain_sql_broker(url, source) == 5
    assert count(url, "conv-a") == 3
    for event in rasa_events("conv-b"):
        broker.publish(event)
    assert consumer.drain_sql_broker(url, source) == 5 and count(url, "conv-b") == 3


def rabbitmq_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not rabbitmq_up(), reason="RabbitMQ is not running on 127.0.0.1:5672 (rabbitmq-server -detached)")
def test_the_rabbitmq_consumer_stores_redelivered_events_once(new_db_url):
    import aio_pika

    url, queue = new_db_url(), f"test_analytics_{uuid.uuid4().hex[:8]}"

    async def scenario():
        task = asyncio.ensure_future(consumer.consume_rabbitmq(url, RABBITMQ_URL, queue, idle=0.1))
        connection = await aio_pika.connect_robust(RABBITMQ_URL)
        try:
            await asyncio.sleep(0.5)  # the consumer declared and bound its queue
            exchange = await (await connection.channel()).declare_exchange(consumer.RASA_EXCHANGE,
                                                                           aio_pika.ExchangeType.FANOUT)
            for event in rasa_events("conv-mq") + rasa_events("conv-mq"):  # everything twice: a redelivery
                await exchange.publish(aio_pika.Message(json.dumps(event).encode()), "")
            for _ in range(50):
                await asyncio.sleep(0.1)
                if count(url, "conv-mq") == 3:
                    break
            await asyncio.sleep(0.3)
        finally:
            task.cancel()
            channel = await connection.channel()
            await channel.queue_delete(queue)
            await connection.close()

    asyncio.run(scenario())
    assert count(url, "conv-mq") == 3
