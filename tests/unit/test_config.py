"""bot.config: generated secrets never start with '-' (Rasa's command line refused 1 in 64)
and are readable by their owner only."""
from __future__ import annotations

import stat

import pytest

from bot import config


@pytest.fixture
def var(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "VAR", tmp_path / "var")
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    return tmp_path / "var"


def test_new_secrets_never_start_with_a_dash():
    secrets = [config.new_secret() for _ in range(2000)]
    assert not [s for s in secrets if s.startswith("-")]
    assert all(len(s) == 64 for s in secrets) and len(set(secrets)) == 2000


def test_a_secret_is_generated_once_into_a_private_file(var):
    token = config._secret("RASA_TOKEN")
    path = var / "rasa_token.secret"
    assert path.read_text() == token and config._secret("RASA_TOKEN") == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in var.iterdir()] == ["rasa_token.secret"], "no temporary file left behind"


def test_an_older_readable_secret_file_is_made_private(var):
    var.mkdir()
    path = var / "rasa_token.secret"
    path.write_text("-old-token\n")
    path.chmod(0o644)
    assert config._secret("RASA_TOKEN") == "-old-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_environment_wins(var, monkeypatch):
    monkeypatch.setenv("RASA_TOKEN", "from-env")
    assert config._secret("RASA_TOKEN") == "from-env" and not var.exists()
