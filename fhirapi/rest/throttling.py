"""The API's rate limit: API_RATE_LIMIT_PER_MINUTE requests per user (per address when
anonymous) in each clock minute, counted with one cache increment per request. Past it the
client gets 429 with Retry-After (fhirapi/rest/errors.py). 0 turns the limit off."""

import time

import structlog
from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from wintehr.client_ip import client_ip

WINDOW_SECONDS = 60
logger = structlog.get_logger(__name__)


class PerUserRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view) -> bool:
        limit = settings.API_RATE_LIMIT_PER_MINUTE
        if not limit:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        self.seconds_left = WINDOW_SECONDS - now % WINDOW_SECONDS
        key = f"api-rate:{_caller(request)}:{window}"
        try:
            count = _count(key)
        except Exception as exc:  # the cache (Redis) is down: serve rather than refuse everyone
            logger.warning("rate limit not applied: the cache failed", error=repr(exc))
            return True
        return count <= limit

    def wait(self) -> float:
        return self.seconds_left


def _count(key: str) -> int:
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        return 1


def _caller(request: Request) -> str:
    user = request.user
    return f"user:{user.pk}" if user.is_authenticated else f"ip:{client_ip(request)}"
