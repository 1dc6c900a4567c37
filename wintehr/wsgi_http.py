"""Serve Django's WSGI handler to an ASGI server, with one hop to a worker thread per request.

Our views are synchronous (DRF and the FHIR store). Django's ASGI handler, and asgiref's
WsgiToAsgi, hop between the event loop and threads several times per request; measured here
(bench/bench_read.py) that costs about three quarters of the throughput. This adapter runs the
whole request in a thread from a small pool and sends the finished response from the loop;
streaming responses (exports) are relayed chunk by chunk so memory stays flat.
"""

import asyncio
import io
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Send = Callable[[dict], Any]


class WsgiHttpApp:
    def __init__(self, wsgi_app: Callable, *, threads: int) -> None:
        self.wsgi_app = wsgi_app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")

    async def __call__(self, scope: dict, receive: Callable, send: Send) -> None:
        body = await _read_body(receive)
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


async def _read_body(receive: Callable) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(parts)


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
