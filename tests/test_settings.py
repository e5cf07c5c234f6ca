"""Settings come from the environment and fail loudly on unsafe production values."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUARDSITE_"))}
    env.pop("DATABASE_URL", None)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_fresh_checkout_runs_in_development_mode_without_any_setting():
    result = _check({})
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _check({"GUARDSITE_MODE": "production", "DJANGO_ALLOWED_HOSTS": "guard.example"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _check({"GUARDSITE_MODE": "production", "DJANGO_SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_unknown_mode_is_a_clear_error():
    result = _check({"GUARDSITE_MODE": "staging"})
    assert result.returncode != 0
    assert "GUARDSITE_MODE" in result.stderr


def test_production_starts_with_a_secret_and_hosts():
    result = _check(
        {
            "GUARDSITE_MODE": "production",
            "DJANGO_SECRET_KEY": "s" * 50,
            "DJANGO_ALLOWED_HOSTS": "guard.example",
        }
    )
    assert result.returncode == 0, result.stderr
