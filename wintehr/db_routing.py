"""Reads from PostgreSQL replicas, with read-your-writes (docs/scaling.md).

DATABASE_REPLICA_URLS adds the aliases `replica1`, `replica2`, ... Writes, migrations and every
transaction stay on `default`. The store's reads (FhirRepository's read, vread, history and
searches) run inside `replica_reads()`, which sends them to a replica unless one of these holds:
- the code is inside a transaction on `default` (it must see its own uncommitted rows);
- the request being answered is not GET/HEAD/OPTIONS (it may have written already);
- the requesting user wrote within the last DATABASE_REPLICA_PIN_SECONDS (a mark in the shared
  cache, set by ReadYourWritesMiddleware after each successful unsafe request).

The search engine reads through `django.db.connection` (the `default` alias), so `replica_reads()`
lends it the replica's connection for its duration: within the block `connections["default"]` is
the replica's connection object (as Django's own test server does with `connections_override`).
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ROUTED_APPS = frozenset({"fhirapi"})  # the resource and search index tables
_request: ContextVar[HttpRequest | None] = ContextVar("wintehr_db_request", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def pin_key(user_id: object) -> str:
    return f"wintehr:db-primary-pin:{user_id}"


def read_alias() -> str:
    """The alias a read may use now: a replica when that cannot miss the caller's writes."""
    replicas = replica_aliases()
    if not replicas or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    request = _request.get()
    if request is not None and _request_needs_primary(request):
        return DEFAULT_DB_ALIAS
    return random.choice(replicas)


def _request_needs_primary(request: HttpRequest) -> bool:
    if request.method not in SAFE_METHODS:
        return True
    pinned = getattr(request, "_wintehr_primary_pinned", None)
    if pinned is None:
        user = getattr(request, "user", None)  # DRF sets it on the request once authenticated
        pinned = bool(user and user.is_authenticated and cache.get(pin_key(user.pk)))
        if user is not None and user.is_authenticated:
            request._wintehr_primary_pinned = pinned  # one cache read per request
    return pinned


@contextmanager
def replica_reads() -> Iterator[str]:
    """Run the enclosed reads on a replica when read_alias() allows; yields the alias used."""
    alias = read_alias()
    if alias == DEFAULT_DB_ALIAS:
        yield alias
        return
    primary = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = connections[alias]
    try:
        yield alias
    finally:
        connections[DEFAULT_DB_ALIAS] = primary


class ReplicaRouter:
    """ORM reads of the store's tables follow read_alias(); everything else uses `default`."""

    def db_for_read(self, model, **hints) -> str:
        if model._meta.app_label in ROUTED_APPS:
            return read_alias()
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # replicas hold the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReadYourWritesMiddleware:
    """Makes the request known to read_alias(), and after a successful unsafe request pins its
    user to the primary for DATABASE_REPLICA_PIN_SECONDS (on every web process: the mark is in the
    shared cache, Redis in production)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        user = getattr(request, "user", None)
        if (
            replica_aliases()
            and request.method not in SAFE_METHODS
            and response.status_code < 400
            and user is not None
            and user.is_authenticated
        ):
            cache.set(pin_key(user.pk), True, timeout=settings.DATABASE_REPLICA_PIN_SECONDS)
        return response
