"""`manage.py check --deploy` is clean in production mode, as deploy/docker-compose.yml runs it."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("redis_url", [None, "redis://127.0.0.1:6379/0"])
def test_check_deploy_is_clean_in_production_mode(settings, redis_url):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "ehr.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://ehr.example.org",
        "FHIR_BASE_URL": "https://ehr.example.org/fhir",
        "WINTEHR_DATA_DIR": str(settings.WINTEHR_DATA_DIR),  # the running embedded database
        "METRICS_TOKEN": secrets.token_urlsafe(32),
        "AUDIT_RETENTION_DAYS": "2190",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url  # only configured: `check` does not connect to it
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
