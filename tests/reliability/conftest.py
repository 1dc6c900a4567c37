"""Shared set-up of the reliability tests: a repository, API users with bearer tokens, and live
uvicorn servers on the test database for the tests that need real processes and concurrency."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from django.db import connections

from fhirapi.services import FhirRepository

REPO_ROOT = Path(__file__).resolve().parents[2]
LONG = os.environ.get("RELIABILITY_LONG") == "1"
LIVE_MAX_BODY_BYTES = 1024 * 1024  # the live server's FHIR_MAX_BODY_BYTES: oversized is cheap


def pytest_collection_modifyitems(config, items):
    """`slow` tests run only with RELIABILITY_LONG=1 (the whole folder stays under 3 minutes)."""
    if LONG:
        return
    skip = pytest.mark.skip(reason="long reliability test: set RELIABILITY_LONG=1")
    for item in items:
        if "reliability" in str(item.fspath) and item.get_closest_marker("slow"):
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a long reliability test (RELIABILITY_LONG=1)")


@pytest.fixture
def repository(db) -> FhirRepository:
    return FhirRepository()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database as a URL for server processes (the host may be a socket directory)."""
    settings = connections["default"].settings_dict
    host = quote(settings["HOST"] or "127.0.0.1", safe="")
    password = f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else ""
    return f"postgres://{settings['USER']}{password}@{host}:{settings['PORT']}/{settings['NAME']}"


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen

    @property
    def fhir(self) -> str:
        return f"{self.url}/fhir"


@contextlib.contextmanager
def live_server(*, workers: int = 2, threads: int = 4, **env: str) -> Iterator[LiveServer]:
    """uvicorn serving wintehr.asgi on the test database, stopped (and waited for) at the end."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "true",
        "LOG_LEVEL": "ERROR",
        "WEB_THREADS": str(threads),
        "API_RATE_LIMIT_PER_MINUTE": "0",
        "FHIR_MAX_BODY_BYTES": str(LIVE_MAX_BODY_BYTES),
        **env,
    }
    if "REDIS_URL" not in env:
        environment.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "uvicorn", "wintehr.asgi:application", "--port", str(port)]
    command += ["--workers", str(workers), "--lifespan", "off", "--log-level", "error"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment)
    server = LiveServer(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{server.url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, "the server exited at start"
                assert time.monotonic() < deadline, "the server did not start in 60 s"
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def live(django_db_setup, django_db_blocker) -> Iterator[LiveServer]:
    """One server for the session (two processes of four threads: real concurrency). Tests
    that use it need `transactional_db`, so what they write is committed and visible to it."""
    with django_db_blocker.unblock(), live_server() as server:
        yield server


@pytest.fixture
def token(transactional_db) -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_user("reliability", is_superuser=True)
    return Token.objects.create(user=user).key


@pytest.fixture
def http(live, token) -> Iterator[httpx.Client]:
    """A FHIR client of the live server (thread-safe: share it between threads)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    with httpx.Client(base_url=live.fhir, headers=headers, timeout=30, limits=limits) as client:
        yield client
