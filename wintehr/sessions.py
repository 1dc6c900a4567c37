"""Sessions read from the cache and kept in the database (SESSION_ENGINE with Redis), that go on
working while the cache is down: a failing cache is treated as empty and its writes as done, so
sign-in, the screens and sign-out use the database alone until Redis is back (Django's own
cached_db store fails the request when the cache refuses the write after a database read)."""

from typing import Any

import structlog
from django.contrib.sessions.backends import cached_db

logger = structlog.get_logger(__name__)


class _ForgivingCache:
    """The cache's get/set/delete/contains, with failures logged and taken as a miss."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    def _try(self, operation: str, default: Any, *args: Any) -> Any:
        try:
            return getattr(self.cache, operation)(*args)
        except Exception as exc:  # Redis down: the database has every session anyway
            logger.warning("session cache unavailable", operation=operation, error=repr(exc))
            return default

    async def _atry(self, operation: str, default: Any, *args: Any) -> Any:
        try:
            return await getattr(self.cache, operation)(*args)
        except Exception as exc:
            logger.warning("session cache unavailable", operation=operation, error=repr(exc))
            return default

    def get(self, key: str) -> Any:
        return self._try("get", None, key)

    def set(self, key: str, value: Any, timeout: Any = None) -> None:
        self._try("set", None, key, value, timeout)

    def delete(self, key: str) -> None:
        self._try("delete", None, key)

    def __contains__(self, key: str) -> bool:
        return self._try("has_key", False, key)

    async def aget(self, key: str) -> Any:
        return await self._atry("aget", None, key)

    async def aset(self, key: str, value: Any, timeout: Any = None) -> None:
        await self._atry("aset", None, key, value, timeout)

    async def adelete(self, key: str) -> None:
        await self._atry("adelete", None, key)


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = _ForgivingCache(self._cache)
