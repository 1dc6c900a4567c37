"""Serve Django's WSGI handler to an ASGI server, with one hop to a worker thread per request.

Our views are synchronous (DRF and the FHIR store). Django's ASGI handler, and asgiref's
WsgiToAsgi, hop between the event loop and threads several times per request; measured here
(bench/bench_read.py) that costs about three quarters of the throughput. This adapter runs the
whole request in a thread from a small pool and sends the finished response from the loop;
streaming responses (exports) are relayed chunk by chunk so memory stays flat.
"""

import asyncio
import io
import json
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Send = Callable[[dict], Any]
MULTIPART_SLACK = 16 * 1024 * 1024  # form framing around uploaded files
# After a 413, what the client still sends is read and dropped for this long (at most), so
# that the connection closes cleanly once the client has had the answer (see _discard_body).
LINGER_SECONDS = 2.0
LINGER_IDLE_SECONDS = 0.5
LINGER_BYTES = 64 * 1024 * 1024


class WsgiHttpApp:
    def __init__(self, wsgi_app: Callable, *, threads: int) -> None:
        self.wsgi_app = wsgi_app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")

    async def __call__(self, scope: dict, receive: Callable, send: Send) -> None:
        limit = body_limit(scope["path"])
        body = await _read_body(receive, limit) if _declared_length(scope) <= limit else None
        if body is None:
            await _refuse_too_large(scope, receive, send, limit)
            return
        loop = asyncio.get_running_loop()
        status, headers, chunks = await loop.run_in_executor(
            self.executor, self._run, scope, body, loop, send
        )
        if chunks is None:  # streamed from the worker thread already
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"".join(chunks)})

    def _run(self, scope: dict, body: bytes, loop: asyncio.AbstractEventLoop, send: Send):
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list, exc_info=None) -> None:
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers
            ]

        response = self.wsgi_app(_environ(scope, body), start_response)
        try:
            if not getattr(response, "streaming", False):
                return started["status"], started["headers"], list(response)
            self._stream(response, started, loop, send)
            return started["status"], started["headers"], None
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    @staticmethod
    def _stream(response: Iterable[bytes], started: dict, loop, send: Send) -> None:
        def relay(message: dict) -> None:
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        relay(
            {
                "type": "http.response.start",
                "status": started["status"],
                "headers": started["headers"],
            }
        )
        for chunk in response:
            if chunk:
                relay({"type": "http.response.body", "body": chunk, "more_body": True})
        relay({"type": "http.response.body", "body": b""})


def body_limit(path: str) -> int:
    """The largest body worth reading: the whole body is held in memory before Django sees it,
    so a larger one is refused here (413) without reading the rest. FHIR_MAX_BODY_BYTES under
    /fhir/; elsewhere the largest upload (imaging), with room for multipart framing."""
    from django.conf import settings

    if _is_fhir(path):
        return settings.FHIR_MAX_BODY_BYTES
    return max(settings.FHIR_MAX_BODY_BYTES, settings.IMAGING_MAX_UPLOAD_BYTES) + MULTIPART_SLACK


def _is_fhir(path: str) -> bool:
    return path == "/fhir" or path.startswith("/fhir/")


def _declared_length(scope: dict) -> int:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


async def _read_body(receive: Callable, limit: int) -> bytes | None:
    """The request body, or None as soon as it grows past `limit`."""
    parts, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        part = message.get("body", b"")
        size += len(part)
        if size > limit:
            return None
        parts.append(part)
        if not message.get("more_body"):
            break
    return b"".join(parts)


async def _refuse_too_large(scope: dict, receive: Callable, send: Send, limit: int) -> None:
    message = f"the body is larger than the {limit:,} bytes this server accepts"
    if _is_fhir(scope["path"]):
        issue = {"severity": "error", "code": "too-costly", "diagnostics": message}
        body = json.dumps({"resourceType": "OperationOutcome", "issue": [issue]}).encode()
        content_type = b"application/fhir+json"
    else:
        body, content_type = message.encode(), b"text/plain; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": True})
    await _discard_body(receive)
    await send({"type": "http.response.body", "body": b""})  # the server then closes


async def _discard_body(receive: Callable) -> None:
    """Read and drop the rest of a refused body, within LINGER_SECONDS and LINGER_BYTES, and
    return once the client has been quiet for LINGER_IDLE_SECONDS. A socket closed with unread
    data in it is reset by the kernel, which can destroy the answer before the client reads it
    (the "lingering close" of RFC 9112 section 9.6)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LINGER_SECONDS
    discarded = 0
    while discarded < LINGER_BYTES and (left := deadline - loop.time()) > 0:
        try:
            message = await asyncio.wait_for(receive(), min(left, LINGER_IDLE_SECONDS))
        except TimeoutError:
            return
        if message["type"] == "http.disconnect" or not message.get("more_body"):
            return
        discarded += len(message.get("body", b""))


def _environ(scope: dict, body: bytes) -> dict[str, Any]:
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode("utf8").decode("latin1"),
        "PATH_INFO": scope["path"].encode("utf8").decode("latin1"),
        "QUERY_STRING": scope["query_string"].decode("ascii"),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1] or 80),
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin1").upper().replace("-", "_")
        value = raw_value.decode("latin1")
        if name == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
            continue
        if name == "CONTENT_LENGTH":
            continue
        key = f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ
