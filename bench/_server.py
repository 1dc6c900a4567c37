"""Starting a real uvicorn server for HTTP benchmarks, and a bearer token to call it with."""

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from _setup import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_token() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True}
    )
    return Token.objects.get_or_create(user=user)[0].key


def production_env() -> dict[str, str]:
    """Served as in production (DEBUG off: no query logging, hashed static files), over plain
    HTTP, with the bench process's SECRET_KEY (bench/_setup.py) so that its sessions are valid."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def running_server(
    workers: int = 2, app: str = "wintehr.asgi:application", **env: str
) -> Iterator[str]:
    port = free_port()
    production = production_env()
    collectstatic = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
    subprocess.run(collectstatic, cwd=REPO_ROOT, env=production, check=True)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=REPO_ROOT,
        env={**production, **env},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait()


@dataclass(frozen=True)
class ProcessUsage:
    rss_kib: int
    cpu_seconds: float  # user + system, with that of exited children the process waited for


def process_tree_usage(marker: str) -> ProcessUsage:
    """Memory and CPU time of the processes whose command line contains `marker` (followed by a
    space or its end) and of all their descendants."""
    processes: dict[int, tuple[int, ProcessUsage, bytes]] = {}  # pid -> (parent, usage, command)
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            status = (proc / "status").read_text().splitlines()
            rss = next((int(x.split()[1]) for x in status if x.startswith("VmRSS:")), 0)
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, ValueError):
            continue
        ticks = sum(int(x) for x in stat[11:15])  # utime, stime, cutime, cstime
        usage = ProcessUsage(rss, ticks / os.sysconf("SC_CLK_TCK"))
        processes[int(proc.name)] = (int(stat[1]), usage, command)
    wanted = {
        pid for pid, (_, _, command) in processes.items() if f"{marker} ".encode() in command + b" "
    }
    grew = True
    while grew:
        children = {pid for pid, (parent, _, _) in processes.items() if parent in wanted}
        grew = not children <= wanted
        wanted |= children
    usages = [processes[pid][1] for pid in wanted]
    return ProcessUsage(sum(u.rss_kib for u in usages), sum(u.cpu_seconds for u in usages))


def server_usage(port: int) -> ProcessUsage:
    """The uvicorn process serving `port` and its workers."""
    return process_tree_usage(f"wintehr.asgi:application --port {port}")


def server_rss_kib(port: int) -> int:
    """RSS of the uvicorn process serving `port` and of its workers, in KiB."""
    return server_usage(port).rss_kib


def database_usage() -> ProcessUsage:
    """The embedded PostgreSQL of WINTEHR_DATA_DIR: postmaster, backends, background workers
    (none, so zero, when DATABASE_URL names another server)."""
    from django.conf import settings

    return process_tree_usage(f"-D {settings.WINTEHR_DATA_DIR / 'postgres'}")
