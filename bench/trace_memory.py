"""What grows in the server under the load test's request mix: tracemalloc in one process.

The virtual users of bench/load_test.py, with the same mix, call wintehr.asgi in this process
(httpx's ASGI transport, production settings: DEBUG off). After --warm-up requests it takes a
tracemalloc snapshot, then one after each of two runs of --requests, and prints the growth of
each run per 1,000 requests (flat in the second run: warm-up; the same in both: unbounded) and
the 25 tracebacks that grew most over both runs. Allocations are counted, not timed, so the
figures hold on a busy machine.

Run: .venv/bin/python bench/trace_memory.py [--requests 3000] [--warm-up 1000] [--users 20]
"""

import argparse
import asyncio
import gc
import os
import sys
import tracemalloc

from _server import production_env

os.environ.update({**production_env(), "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "ERROR"})

import httpx
from django.core.management import call_command
from load_test import MIX, WEIGHTS, VirtualUser, physicians_ensure, targets_load

from wintehr.asgi import application

BASE = "http://127.0.0.1"


async def users_ready(count: int, accounts: list, targets: list) -> list[VirtualUser]:
    crowd = []
    for number in range(count):
        user = VirtualUser(BASE, accounts[number % len(accounts)], targets, seed=number)
        await user.client.aclose()
        user.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url=BASE, timeout=30
        )
        await user.sign_in()
        crowd.append(user)
    return crowd


async def requests_send(crowd: list[VirtualUser], count: int) -> int:
    """`count` requests of the mix, spread over the users; returns how many failed."""
    failures = 0
    for number in range(count):
        user = crowd[number % len(crowd)]
        _, action = user.rng.choices(MIX, weights=WEIGHTS)[0]
        failures += (await action(user)).status_code >= 400
    return failures


def snapshot() -> tracemalloc.Snapshot:
    gc.collect()
    return tracemalloc.take_snapshot().filter_traces(
        [
            tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, "*/load_test.py", all_frames=True),  # the clients' side
        ]
    )


def growth_print(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, requests: int) -> None:
    stats = after.compare_to(before, "traceback")
    grown = sum(s.size_diff for s in stats)
    print(f"  {grown / requests * 1000 / 1024:+,.1f} KiB per 1,000 requests")


def top_print(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, limit: int) -> None:
    for stat in after.compare_to(before, "traceback")[:limit]:
        print(f"\n{stat.size_diff / 1024:+,.1f} KiB, {stat.count_diff:+,} blocks")
        frames = [f for f in stat.traceback if "importlib" not in f.filename]
        for frame in frames[-8:]:
            print(f"    {frame.filename}:{frame.lineno}")


async def trace(args: argparse.Namespace, accounts: list, targets: list) -> None:
    crowd = await users_ready(args.users, accounts, targets)
    await requests_send(crowd, args.warm_up)
    tracemalloc.start(args.frames)
    snapshots = [snapshot()]
    for run in (1, 2):
        failures = await requests_send(crowd, args.requests)
        snapshots.append(snapshot())
        print(f"run {run}: {args.requests} requests, {failures} failed")
        growth_print(snapshots[-2], snapshots[-1], args.requests)
    print(f"\nTop {args.top} tracebacks by growth over both runs")
    top_print(snapshots[0], snapshots[-1], args.top)
    print(f"\nreproduce: {sys.executable} bench/trace_memory.py {' '.join(sys.argv[1:])}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000, help="per measured run")
    parser.add_argument("--warm-up", type=int, default=1000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--frames", type=int, default=25, help="traceback depth recorded")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    call_command("collectstatic", interactive=False, verbosity=0)  # hashed names: DEBUG is off
    targets = targets_load(args.patients)  # before the event loop: the ORM is synchronous
    asyncio.run(trace(args, physicians_ensure(args.users), targets))


if __name__ == "__main__":
    main()
