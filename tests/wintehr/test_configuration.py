import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_manage_check(**env_overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DEBUG": "true", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mysql://root@127.0.0.1/test"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:99999/x"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("CELERY_TASK_TIME_LIMIT", "soon"),
    ],
)
def test_a_bad_value_stops_start_up_with_one_line_naming_it(variable, value):
    result = run_manage_check(**{variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"wintehr: configuration error: {variable}:")


def test_production_mode_refuses_the_default_secret_key():
    env_without_key = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO_ROOT,
        env={**env_without_key, "DEBUG": "false"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr


def test_production_mode_starts_with_a_real_secret_key():
    result = run_manage_check(
        DEBUG="false", SECRET_KEY="a-long-random-production-secret-0123456789"
    )
    assert result.returncode == 0, result.stderr
