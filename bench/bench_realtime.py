"""Realtime benchmark: websocket clients following one chart, latency from commit to message.

--clients clients (signed in as --users different physicians) subscribe to `chart:<id>` on uvicorn,
with the in-memory channel layer (one server process: that layer reaches no other) and with Redis
(REDIS_URL; one or two worker processes). Another clinician's screen writes an Observation for the
patient over the FHIR API, one every --interval seconds; the server process that commits it notes
the moment of commit (bench/_realtime_app.py) and each client the moment the change reaches it
(wall clock). The clients run in this process (one event loop): their own work is in the figures
too. Also the server's memory per connection: RSS after all clients subscribed
minus RSS before, divided by the clients.

Run: .venv/bin/python bench/bench_realtime.py [--clients 500] [--users 1] [--layers memory redis]
     [--workers 1 2]
Target: p95 <= 150 ms from commit to message. Redis: REDIS_URL (default 127.0.0.1:6379 db 8,
which the benchmark empties).
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REDIS_URL = os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/8")

import httpx  # noqa: E402
from _server import bench_token, process_tree_usage, running_server  # noqa: E402
from _setup import django_ready, print_table  # noqa: E402

django_ready()

import redis  # noqa: E402
import websockets  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from clinical.roles import ensure_role_groups  # noqa: E402
from fhirapi.services import FhirRepository  # noqa: E402

LAYERS = ["memory", "redis"]
APP = "bench._realtime_app:application"


def server_rss_kib(port: int) -> int:
    return process_tree_usage(f"{APP} --port {port}").rss_kib


def sessions(count: int) -> list[str]:
    physicians = ensure_role_groups()["physician"]
    cookies = []
    for number in range(count):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-rt-{number}")
        user.groups.add(physicians)
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return cookies


def observation_write(base: str, token: str, patient_id: str) -> None:
    """Write over the FHIR API (the server process commits)."""
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "heart rate"},
        "subject": {"reference": f"Patient/{patient_id}"},
        "valueQuantity": {"value": 70, "unit": "/min"},
    }
    response = httpx.post(
        f"{base}/fhir/Observation",
        json=observation,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()


def commit_times(path: Path) -> dict[str, float]:
    """Resource id -> when its first change committed, as the servers noted it."""
    committed: dict[str, float] = {}
    for line in path.read_text().splitlines():
        resource_id, at = line.split()
        committed.setdefault(resource_id, float(at))
    return committed


async def run(
    base: str,
    port: int,
    cookies: list[str],
    clients: int,
    writes: int,
    interval: float,
    commit_log: Path,
):
    patient = {"resourceType": "Patient", "name": [{"family": "Bench"}]}
    patient_id = (await asyncio.to_thread(FhirRepository().create, patient)).stored.resource_id
    topic = f"chart:{patient_id}"
    token = await asyncio.to_thread(bench_token)
    url = base.replace("http://", "ws://") + "/ws/live/"
    received: list[list[tuple[str, float]]] = [[] for _ in range(clients)]
    rss_before = await asyncio.to_thread(server_rss_kib, port)

    async def client(number: int, ready: asyncio.Event, done: asyncio.Event) -> None:
        async with websockets.connect(
            url,
            origin=base,
            additional_headers={"Cookie": f"sessionid={cookies[number % len(cookies)]}"},
            max_queue=None,
            open_timeout=120,  # 500 handshakes at once queue up on a busy machine
        ) as socket:
            await socket.send(json.dumps({"action": "subscribe", "topic": topic}))
            while json.loads(await socket.recv())["type"] != "subscribed":
                pass
            ready.set()
            while not done.is_set():
                try:
                    text = await asyncio.wait_for(socket.recv(), timeout=0.5)
                except TimeoutError:
                    continue
                now = time.time()
                message = json.loads(text)
                if message["type"] == "change":
                    received[number].append((message["id"], now))

    readies = [asyncio.Event() for _ in range(clients)]
    done = asyncio.Event()
    tasks = []
    for number in range(clients):
        tasks.append(asyncio.create_task(client(number, readies[number], done)))
        if number % 50 == 49:
            await asyncio.sleep(0.2)
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=120)
    await asyncio.sleep(2)  # presence broadcasts settle
    rss_after = await asyncio.to_thread(server_rss_kib, port)

    for _ in range(writes):
        await asyncio.to_thread(observation_write, base, token, patient_id)
        await asyncio.sleep(interval)
    await asyncio.sleep(5)  # stragglers
    done.set()
    await asyncio.gather(*tasks, return_exceptions=True)

    committed = commit_times(commit_log)
    latencies = [
        (at - committed[resource_id]) * 1000
        for per_client in received
        for resource_id, at in per_client
        if resource_id in committed
    ]
    expected = clients * writes
    return latencies, expected, rss_before, rss_after


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--users", type=int, default=1)
    parser.add_argument("--layers", nargs="+", choices=["memory", "redis"], default=LAYERS)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--writes", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    redis.Redis.from_url(REDIS_URL).flushdb()
    cookies = sessions(args.users)
    rows = []
    runs = [("memory", 1)] if "memory" in args.layers else []
    runs += [("redis", w) for w in args.workers] if "redis" in args.layers else []
    for layer, workers in runs:
        commit_log = Path(tempfile.mkstemp(prefix="bench-realtime-commits-")[1])
        with running_server(
            workers=workers,
            app=APP,
            REDIS_URL=REDIS_URL if layer == "redis" else "",
            BENCH_COMMIT_LOG=str(commit_log),
        ) as base:
            port = int(base.rsplit(":", 1)[1])
            latencies, expected, before, after = asyncio.run(
                run(base, port, cookies, args.clients, args.writes, args.interval, commit_log)
            )
        commit_log.unlink()
        latencies.sort()
        p50 = statistics.median(latencies)
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        rows.append(
            [
                layer,
                workers,
                args.clients,
                args.users,
                f"{len(latencies)}/{expected}",
                f"{p50:.1f}",
                f"{p95:.1f}",
                f"{latencies[-1]:.1f}",
                f"{(after - before) / args.clients:.1f}",
            ]
        )
    print_table(
        "Realtime: one chart topic, commit -> websocket message",
        [
            "channel layer",
            "server processes",
            "clients",
            "users",
            "messages",
            "p50 ms",
            "p95 ms",
            "max ms",
            "server KiB/connection",
        ],
        rows,
    )
    print(f"\nreproduce: {sys.executable} bench/bench_realtime.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
