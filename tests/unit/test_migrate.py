"""bot.migrate: Alembic configured in code; the migrations match the models; the demo is seeded once."""
from __future__ import annotations

import logging

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot import migrate
from bot.db import get_engine, session_scope
from bot.handoff.models import StaffUser
from bot.models import metadata
from bot.shop.models import Customer
from tests.fixtures import TEST_NOW as NOW


def test_ensure_seeded_seeds_once(new_db_url):
    url = new_db_url()
    summary = migrate.ensure_seeded(url, now=NOW)
    assert summary is not None and sum(summary["orders"].values()) >= 70
    assert migrate.ensure_seeded(url, now=NOW) is None
    with session_scope(url) as s:
        assert s.query(Customer).count() == len(summary["customers"])
        assert [u.username for u in s.query(StaffUser).order_by(StaffUser.id)] == [
            a["username"] for a in summary["staff"]]
    assert [a["username"] for a in summary["staff"]] == ["agent1", "agent2", "author1", "seller1", "seller2",
                                                         "seller3", "seller4"]


def test_migrations_match_the_models(db_url):
    engine = get_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        head = ScriptDirectory.from_config(migrate.alembic_config(db_url)).get_current_head()
        assert context.get_current_revision() == head
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_upgrade_creates_the_folder_of_a_sqlite_database(tmp_path):
    """A fresh clone has no var/: `python -m bot run` failed with "unable to open database file"."""
    path = tmp_path / "fresh" / "var" / "shop.db"
    migrate.upgrade(f"sqlite:///{path}")
    assert path.exists() and "messages" in inspect(get_engine(f"sqlite:///{path}")).get_table_names()


def test_downgrade_and_upgrade_again(new_db_url):
    url = new_db_url()
    migrate.downgrade(url, "base")
    engine = get_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(url)
    assert {t.name for t in metadata.sorted_tables} <= set(inspect(engine).get_table_names())


def test_migrate_leaves_logging_alone(new_db_url):
    mine = logging.getLogger("shop.test.logging")
    mine.setLevel(logging.WARNING)
    handlers = list(logging.getLogger().handlers)
    root_level = logging.getLogger().level
    migrate.upgrade(new_db_url())
    assert not mine.disabled and mine.level == logging.WARNING
    assert logging.getLogger().handlers == handlers and logging.getLogger().level == root_level
    assert not logging.getLogger("sqlalchemy").disabled


def test_alembic_config_has_no_file_and_points_at_the_migrations():
    cfg = migrate.alembic_config("postgresql://u:p%40ss@localhost/db")
    assert cfg.config_file_name is None
    assert cfg.get_main_option("script_location").endswith("bot/migrations")
    assert cfg.get_main_option("sqlalchemy.url") == "postgresql://u:p%40ss@localhost/db"


def test_the_migrations_form_one_line(db_url):
    heads = ScriptDirectory.from_config(migrate.alembic_config(db_url)).get_heads()
    assert len(heads) == 1, heads
