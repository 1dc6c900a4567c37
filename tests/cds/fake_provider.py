"""A small CDS service provider on a local port, for the client tests: /good, /slow and /garbage
providers, each with one patient-view service `svc`."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cds.external import external_discovery_refresh
from cds.models import ExternalCdsService

GOOD_CARD = {
    "uuid": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
    "summary": "External advice",
    "indicator": "info",
    "source": {"label": "Example CDS"},
}
SLOW_SECONDS = 3.0


class FakeCdsProvider(BaseHTTPRequestHandler):
    """/good, /slow and /garbage providers, each with one patient-view service `svc`."""

    received: list = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        mode = self.path.split("/")[1]
        service = {
            "hook": "patient-view",
            "id": "svc",
            "title": f"{mode} service",
            "description": "test",
            "prefetch": {
                "patient": "Patient/{{context.patientId}}",
                "nothing": "Encounter/{{context.encounterId}}",
            },
        }
        self._send(200, {"services": [service, {"hook": "no-such-hook", "id": "x"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeCdsProvider.received.append((self.path, dict(self.headers), body))
        mode = self.path.split("/")[1]
        if self.path.endswith("/feedback"):
            self._send(200, {})
        elif mode == "good":
            self._send(200, {"cards": [GOOD_CARD, {"summary": "no indicator", "source": {}}]})
        elif mode == "slow":
            time.sleep(SLOW_SECONDS)
            self._send(200, {"cards": [GOOD_CARD]})
        else:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>not json</html>")

    def _send(self, status: int, data: dict) -> None:
        payload = json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except BrokenPipeError:
            pass  # the client gave up waiting (the slow service)


@pytest.fixture
def provider_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCdsProvider)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeCdsProvider.received = []
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def register(base: str, mode: str) -> ExternalCdsService:
    provider = ExternalCdsService.objects.create(title=mode, base_url=f"{base}/{mode}")
    external_discovery_refresh(provider=provider)
    provider.refresh_from_db()
    assert provider.last_error == "" and [s["id"] for s in provider.services] == ["svc"]
    return provider
