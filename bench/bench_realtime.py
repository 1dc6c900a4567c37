"""Realtime benchmark: websocket clients following one chart, latency from commit to message.

500 clients (signed in as --users different physicians) subscribe to `chart:<id>` on uvicorn with
REDIS_URL (one or two worker processes); this process writes Observations for the patient, one
every --interval seconds, and records when each commit's change event fires; every client records
when the change reaches it. Also the servers' memory per connection: RSS after all clients
subscribed minus RSS before, divided by the clients.

Run: .venv/bin/python bench/bench_realtime.py [--clients 500] [--users 1] [--workers 1 2]
Target: p95 <= 150 ms from commit to message. Needs Redis on 127.0.0.1:6379 (uses db 8).
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

REDIS_URL = os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/8")

from _server import running_server  # noqa: E402
from _setup import django_ready, print_table  # noqa: E402

django_ready()

import redis  # noqa: E402
import websockets  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from clinical.roles import ensure_role_groups  # noqa: E402
from fhirapi.services import FhirRepository  # noqa: E402
from fhirapi.store import events  # noqa: E402


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


def server_rss_kib(port: int) -> int:
    """RSS of the uvicorn process serving `port` and of its workers, in KiB."""
    processes: dict[int, tuple[int, int, bytes]] = {}  # pid -> (parent, rss KiB, command line)
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            status = (proc / "status").read_text().splitlines()
            rss = next((int(x.split()[1]) for x in status if x.startswith("VmRSS:")), 0)
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, ValueError):
            continue
        processes[int(proc.name)] = (parent, rss, command)
    wanted = {
        pid
        for pid, (_, _, command) in processes.items()
        if b"uvicorn" in command and f"--port {port} ".encode() in command + b" "
    }
    grew = True
    while grew:
        children = {pid for pid, (parent, _, _) in processes.items() if parent in wanted}
        grew = not children <= wanted
        wanted |= children
    return sum(processes[pid][1] for pid in wanted)


async def run(base: str, port: int, cookies: list[str], clients: int, writes: int, interval: float):
    patient = {"resourceType": "Patient", "name": [{"family": "Bench"}]}
    patient_id = (await asyncio.to_thread(FhirRepository().create, patient)).stored.resource_id
    topic = f"chart:{patient_id}"
    committed: dict[str, float] = {}

    def on_commit(batch: list) -> None:
        now = time.perf_counter()
        for event in batch:
            committed.setdefault(event.resource_id, now)

    events._batch_subscribers.insert(0, on_commit)  # first: the moment of commit
    url = base.replace("http://", "ws://") + "/ws/live/"
    received: list[list[tuple[str, float]]] = [[] for _ in range(clients)]
    rss_before = await asyncio.to_thread(server_rss_kib, port)

    async def client(number: int, ready: asyncio.Event, done: asyncio.Event) -> None:
        async with websockets.connect(
            url,
            origin=base,
            additional_headers={"Cookie": f"sessionid={cookies[number % len(cookies)]}"},
            max_queue=None,
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
                now = time.perf_counter()
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

    def write() -> None:
        FhirRepository().create(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "heart rate"},
                "subject": {"reference": f"Patient/{patient_id}"},
                "valueQuantity": {"value": 70, "unit": "/min"},
            }
        )

    for _ in range(writes):
        await asyncio.to_thread(write)
        await asyncio.sleep(interval)
    await asyncio.sleep(5)  # stragglers
    done.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    events._batch_subscribers.remove(on_commit)

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
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--writes", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    redis.Redis.from_url(REDIS_URL).flushdb()
    cookies = sessions(args.users)
    rows = []
    for workers in args.workers:
        with running_server(workers=workers, REDIS_URL=REDIS_URL) as base:
            port = int(base.rsplit(":", 1)[1])
            latencies, expected, before, after = asyncio.run(
                run(base, port, cookies, args.clients, args.writes, args.interval)
            )
        latencies.sort()
        p50 = statistics.median(latencies)
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        rows.append(
            [
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
        "Realtime: one chart topic, commit -> websocket message (Redis channel layer)",
        [
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
