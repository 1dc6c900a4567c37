"""Sending to channel layer groups from synchronous code (the store's after-commit callbacks)
without waiting for the sends: the write path must not pay for them.

In a server process the sends run on the server's event loop, the one its consumers listen on
(every consumer binds it when it connects): the in-memory layer's queues belong to that loop.
Elsewhere (a Celery worker, `manage.py import_fhir`) they run on a background loop, which only
matters with Redis: without it the in-memory layer reaches nobody outside this process.
"""

import asyncio
import atexit
import contextlib
import threading
from collections import defaultdict
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any

import structlog
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = structlog.get_logger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None


def bind_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The loop this process's consumers listen on (each consumer binds it when it connects)."""
    global _server_loop
    _server_loop = loop


def group_send_all(messages: list[tuple[str, Any]]) -> Future | None:
    """Send (group, message) pairs in order per group, without waiting; returns the future."""
    if not messages:
        return None
    layer = get_channel_layer()
    if layer is None:
        return None
    loop = _server_loop
    if loop is not None and loop.is_running() and not loop.is_closed():
        return asyncio.run_coroutine_threadsafe(_send_all(layer, messages), loop)
    if isinstance(layer, InMemoryChannelLayer):
        return None  # nobody listens in this process, and the in-memory layer reaches no other
    return _background().submit(_send_all(layer, messages))


async def _send_all(layer, messages: list[tuple[str, Any]]) -> None:
    by_group: dict[str, list] = defaultdict(list)
    for group, message in messages:
        by_group[group].append(message)

    async def send_group(group: str, queue: list) -> None:
        for message in queue:
            await layer.group_send(group, message)

    results = await asyncio.gather(
        *(send_group(g, q) for g, q in by_group.items()), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            logger.error("realtime group_send failed", error=repr(result))


class _BackgroundLoop:
    """An event loop on a daemon thread, for processes without a server loop (with Redis)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pending: set[Future] = set()
        threading.Thread(target=self.loop.run_forever, name="realtime-send", daemon=True).start()
        atexit.register(self.drain)

    def submit(self, coroutine: Coroutine) -> Future:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)
        return future

    def drain(self, timeout: float = 5.0) -> None:
        for future in list(self.pending):
            with contextlib.suppress(Exception):  # logged by _send_all; exiting anyway
                future.result(timeout=timeout)


_background_loop: _BackgroundLoop | None = None
_background_lock = threading.Lock()


def _background() -> _BackgroundLoop:
    global _background_loop
    with _background_lock:
        if _background_loop is None:
            _background_loop = _BackgroundLoop()
        return _background_loop
