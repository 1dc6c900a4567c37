"""With Redis, a write handled by one server process reaches a websocket of another process."""

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.clinical.realtime.conftest import new_patient

REDIS_DB = 7
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
REPO_ROOT = Path(__file__).resolve().parents[3]


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not redis_answers(), reason="no Redis answers on 127.0.0.1:6379"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database, as a URL the server processes can use (host may be a socket dir)."""
    settings = connection.settings_dict
    host = quote(settings["HOST"] or "127.0.0.1", safe="")
    password = f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else ""
    return f"postgres://{settings['USER']}{password}@{host}:{settings['PORT']}/{settings['NAME']}"


@contextlib.contextmanager
def servers(count: int):
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": database_url(),
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
    }
    ports = [free_port() for _ in range(count)]
    command = [sys.executable, "-m", "uvicorn", "wintehr.asgi:application"]
    processes = [
        subprocess.Popen(
            [*command, "--port", str(port), "--lifespan", "off", "--log-level", "warning"],
            cwd=REPO_ROOT,
            env=env,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 60
        for port in ports:
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the servers did not start"
                    time.sleep(0.2)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def test_a_write_in_one_process_reaches_a_socket_of_another(physician):
    import redis
    import websockets

    redis.Redis.from_url(REDIS_URL).flushdb()
    patient_id = new_patient()
    browser = Client()
    browser.force_login(physician)
    session = browser.cookies["sessionid"].value
    token = Token.objects.create(user=physician).key
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "heart rate"},
        "subject": {"reference": f"Patient/{patient_id}"},
        "valueQuantity": {"value": 72, "unit": "/min"},
    }

    async def scenario(port_a: int, port_b: int) -> dict:
        async with websockets.connect(
            f"ws://127.0.0.1:{port_a}/ws/live/",
            origin=f"http://127.0.0.1:{port_a}",
            additional_headers={"Cookie": f"sessionid={session}"},
        ) as live:
            assert json.loads(await live.recv())["type"] == "welcome"
            await live.send(json.dumps({"action": "subscribe", "topic": f"chart:{patient_id}"}))
            while (message := json.loads(await live.recv()))["type"] != "subscribed":
                pass
            async with httpx.AsyncClient() as http:
                response = await http.post(
                    f"http://127.0.0.1:{port_b}/fhir/Observation",
                    content=json.dumps(observation),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/fhir+json",
                    },
                )
                assert response.status_code == 201, response.text
            # A liveness bound, not a speed goal (bench/bench_realtime.py measures latency).
            async with asyncio.timeout(10):
                while (message := json.loads(await live.recv()))["type"] != "change":
                    pass
            return message

    with servers(2) as (port_a, port_b):
        change = asyncio.run(scenario(port_a, port_b))
    assert change["topic"] == f"chart:{patient_id}"
    assert change["resourceType"] == "Observation"
