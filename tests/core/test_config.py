"""Configuration: defaults, instance/config.py, BLOOD_* variables; production needs secrets."""

from __future__ import annotations

import pytest

from blood import create_app

GOOD_SECRET = "s" * 40


def test_production_refuses_to_start_without_secrets_and_names_them(monkeypatch, tmp_path):
    monkeypatch.delenv("BLOOD_SECRET_KEY", raising=False)
    monkeypatch.delenv("BLOOD_PII_KEY", raising=False)
    monkeypatch.setenv("BLOOD_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError) as refused:
        create_app({"ENV": "production"})
    assert "BLOOD_SECRET_KEY" in str(refused.value)
    assert "BLOOD_PII_KEY" in str(refused.value)


def test_production_refuses_the_development_placeholders(monkeypatch, tmp_path):
    from blood.config import DEV_PII_KEY

    monkeypatch.setenv("BLOOD_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError) as refused:
        create_app({"ENV": "production", "SECRET_KEY": GOOD_SECRET, "PII_KEY": DEV_PII_KEY})
    assert "BLOOD_PII_KEY" in str(refused.value)
    assert "BLOOD_SECRET_KEY" not in str(refused.value)


def test_production_with_secrets_starts_with_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("BLOOD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("BLOOD_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("BLOOD_PII_KEY", GOOD_SECRET + "p")
    app = create_app({"ENV": "production"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'blood.sqlite3'}"


def test_instance_config_then_environment_override_defaults(monkeypatch, tmp_path):
    (tmp_path / "config.py").write_text(
        'LOGIN_FREE_FAILURES = 3\nDATABASE_URL = "sqlite:////tmp/from-instance.db"\n'
    )
    monkeypatch.setenv("BLOOD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("BLOOD_ENV", "development")
    monkeypatch.setenv("BLOOD_DATABASE_URL", "sqlite:////tmp/from-env.db")
    app = create_app()
    assert app.config["LOGIN_FREE_FAILURES"] == 3  # instance/config.py
    assert app.config["DATABASE_URL"] == "sqlite:////tmp/from-env.db"  # environment wins
    assert app.config["ENV"] == "development"
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_unknown_env_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("BLOOD_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="BLOOD_ENV must be"):
        create_app({"ENV": "staging"})


def test_the_instance_config_is_written_once_with_fresh_secrets(tmp_path):
    import stat

    from blood.instance_setup import ensure_config

    assert ensure_config(tmp_path) is True
    first = (tmp_path / "config.py").read_text()
    assert 'SECRET_KEY = "' in first and 'PII_KEY = "' in first
    assert stat.S_IMODE((tmp_path / "config.py").stat().st_mode) == 0o600
    assert ensure_config(tmp_path) is False  # never overwritten: a lost PII key loses data
    assert (tmp_path / "config.py").read_text() == first
    other = tmp_path / "other"
    ensure_config(other)
    assert (other / "config.py").read_text() != first  # fresh secrets each time


def test_the_written_config_starts_production(monkeypatch, tmp_path):
    from blood.instance_setup import ensure_config

    ensure_config(tmp_path)
    monkeypatch.setenv("BLOOD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("BLOOD_SECRET_KEY", raising=False)
    monkeypatch.delenv("BLOOD_PII_KEY", raising=False)
    app = create_app({"ENV": "production"})
    assert len(app.config["PII_KEY"]) >= 32


def test_a_refusal_to_start_is_one_clear_line(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOOD_")}
    env["BLOOD_INSTANCE_PATH"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "blood", "audit-verify"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("blood: refusing to start in production without real secrets")
    assert "BLOOD_SECRET_KEY" in lines[0] and "Traceback" not in result.stderr
