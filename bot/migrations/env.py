"""Alembic environment for the shop, handoff and gateway tables (one metadata).

Configured in code by bot.migrate (there is no alembic.ini). The URL comes from the
Config's ``sqlalchemy.url``, else from bot.db.database_url() (DATABASE_URL). Logging is
left to the caller: no fileConfig here.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from bot.db import database_url
from bot.models import metadata as target_metadata

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or database_url()


def _options(url: str) -> dict:
    return {
        "target_metadata": target_metadata,
        "compare_type": True,
        # SQLite cannot ALTER most things: batch mode recreates the table instead.
        "render_as_batch": url.startswith("sqlite"),
    }


def run_migrations_offline() -> None:
    url = _url()
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **_options(url))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # a caller-provided connection (tests, embedding)
        context.configure(connection=connection, **_options(str(connection.engine.url)))
        with context.begin_transaction():
            context.run_migrations()
        return
    url = _url()
    engine = create_engine(url, poolclass=pool.NullPool, future=True)
    try:
        with engine.connect() as conn:
            context.configure(connection=conn, **_options(url))
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
