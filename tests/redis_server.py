"""The Redis server some tests need (a real one: skipped if none runs), and Rasa's lock store on it
built the way Rasa builds it from the endpoints file that `python -m bot run` writes."""
from __future__ import annotations

from typing import Any, Optional

import pytest
import redis


def redis_missing(url: str) -> Optional[str]:
    """Why the tests cannot use Redis at `url`, or None if it answers."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return None
    except redis.RedisError:
        return f"Redis is not running at {url} (redis-server)"


def needs_redis(url: str) -> pytest.MarkDecorator:
    missing = redis_missing(url)
    return pytest.mark.skipif(missing is not None, reason=missing or "")


def lock_store_at(url: str, **kwargs: Any):
    """bot.rasa_lock.RenewedRedisLockStore on the Redis database of `url` (kwargs: lifetime, beat)."""
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import EndpointConfig

    from bot.rasa_lock import RenewedRedisLockStore

    parts = redis.connection.parse_url(url)
    config = EndpointConfig(url=parts.get("host", "127.0.0.1"), type="bot.rasa_lock.RenewedRedisLockStore",
                            port=parts.get("port", 6379), db=parts.get("db", 0))
    store = RenewedRedisLockStore(endpoint_config=config, **kwargs) if kwargs else LockStore.create(config)
    assert isinstance(store, RenewedRedisLockStore)
    return store
