import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import TestCase

from wintehr.celery import app as celery_app


class Receiver:
    """A real HTTP endpoint on 127.0.0.1 that records what it gets and answers the status codes
    it is told (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.got_one = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": body,
                    }
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.got_one.set()

            do_POST = do_PUT = _handle

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture(autouse=True)
def eager_tasks(settings):
    """Deliveries run in the test (as without REDIS_URL), whatever the environment says."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    settings.FHIR_SUBSCRIPTION_TIMEOUT_SECONDS = 2.0
    yield
    celery_app.conf.task_always_eager = before


def committed(function, *args, **kwargs):
    """Run a write and its after-commit side effects (the test's transaction never commits)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return function(*args, **kwargs)
