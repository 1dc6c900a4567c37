"""Where a CDS service fetches FHIR data its prefetch did not bring: our own store in-process
(FhirRepository), another FHIR server over HTTP with the request's bearer token, or nowhere
(the service then answers 412, as the spec says)."""

import logging
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import httpx
from django.conf import settings
from rest_framework.authtoken.models import Token

from fhirapi.errors import FhirError, ResourceGone, ResourceNotFound
from fhirapi.services import Actor, FhirRepository, user_actor
from fhirapi.smart.authentication import token_actor
from fhirapi.smart.selectors import access_token_by_value

logger = logging.getLogger(__name__)

MAX_PAGES = 20
FHIR_JSON = "application/fhir+json"


class DataUnavailable(Exception):
    """The service needs data it cannot get: no prefetch and no usable FHIR server (412)."""


class DataSource(Protocol):
    def read(self, resource_type: str, resource_id: str) -> dict[str, Any] | None: ...

    def search(self, resource_type: str, params: list[tuple[str, str]]) -> dict[str, Any]: ...

    def next_page(self, url: str) -> dict[str, Any]: ...


class RepositorySource:
    """Our own store, read as `actor` through FhirRepository."""

    def __init__(self, repository: FhirRepository) -> None:
        self.repository = repository

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        try:
            return self.repository.read(resource_type, resource_id).content
        except (ResourceNotFound, ResourceGone):
            return None
        except FhirError as exc:
            raise DataUnavailable(f"{resource_type}/{resource_id}: {exc}") from exc

    def search(self, resource_type: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        try:
            return self.repository.search_bundle(
                resource_type, params, base_url=settings.FHIR_BASE_URL
            )
        except FhirError as exc:
            raise DataUnavailable(f"{resource_type} search: {exc}") from exc

    def next_page(self, url: str) -> dict[str, Any]:
        parts = urlsplit(url)
        resource_type = parts.path.rstrip("/").split("/")[-1]
        if resource_type == "_search":
            resource_type = parts.path.rstrip("/").split("/")[-2]
        return self.search(resource_type, parse_qsl(parts.query, keep_blank_values=True))


class HttpSource:
    """Another FHIR server, called with the bearer token the CDS client gave."""

    def __init__(self, base_url: str, *, access_token: str | None, timeout: float) -> None:
        headers = {"Accept": FHIR_JSON}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(headers=headers, timeout=timeout, follow_redirects=False)

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        return self._get(f"{self.base_url}/{resource_type}/{resource_id}", allow_missing=True)

    def search(self, resource_type: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        found = self._get(f"{self.base_url}/{resource_type}", params=params, allow_missing=False)
        return found or {}

    def next_page(self, url: str) -> dict[str, Any]:
        if not url.startswith(self.base_url + "/"):
            raise DataUnavailable("a next page outside the FHIR server was not followed")
        return self._get(url, allow_missing=False) or {}

    def _get(self, url: str, *, params: Any = None, allow_missing: bool) -> dict[str, Any] | None:
        try:
            response = self.client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise DataUnavailable(f"the FHIR server did not answer ({exc})") from exc
        if allow_missing and response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise DataUnavailable(f"the FHIR server answered {response.status_code} for {url}")
        try:
            return response.json()
        except ValueError as exc:
            raise DataUnavailable(f"the FHIR server sent malformed JSON for {url}") from exc


class NoSource:
    """No FHIR server to ask: only prefetched data is available."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        raise DataUnavailable(self.reason)

    def search(self, resource_type: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        raise DataUnavailable(self.reason)

    def next_page(self, url: str) -> dict[str, Any]:
        raise DataUnavailable(self.reason)


def run_query(source: DataSource, query: str) -> dict[str, Any] | None:
    """A relative FHIR read (`Patient/1`) or search (`Observation?patient=1`): all pages of an
    unsorted search, the first page of a sorted one (`_sort` with `_count` asks for the top N)."""
    path, _, query_string = query.partition("?")
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) == 2 and not query_string:
        return source.read(parts[0], parts[1])
    if len(parts) != 1:
        raise DataUnavailable(f"unsupported prefetch query {query!r}")
    params = parse_qsl(query_string, keep_blank_values=True)
    bundle = source.search(parts[0], params)
    return complete_bundle(source, bundle) if wants_all_pages(query) else bundle


def wants_all_pages(query: str) -> bool:
    return "_sort" not in dict(parse_qsl(query.partition("?")[2]))


def complete_bundle(source: DataSource, bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle with the entries of its following pages appended (at most MAX_PAGES)."""
    entries = list(bundle.get("entry") or [])
    page = bundle
    for _ in range(MAX_PAGES):
        next_url = next(
            (link.get("url") for link in page.get("link") or [] if link.get("relation") == "next"),
            None,
        )
        if not next_url:
            break
        page = source.next_page(next_url)
        entries += page.get("entry") or []
    links = [link for link in bundle.get("link") or [] if link.get("relation") != "next"]
    return {**bundle, "link": links, "entry": entries}


def is_own_server(url: str) -> bool:
    return url.rstrip("/") == settings.FHIR_BASE_URL.rstrip("/")


def actor_for_access_token(token: str) -> Actor | None:
    """The actor an access token issued by this server acts as (a SMART token with its scopes,
    or a script token with its user's rights); None when the token is unknown or expired."""
    access = access_token_by_value(token)
    if access is not None:
        user = access.user or (access.application.user if access.application else None)
        if access.is_expired() or user is None or not user.is_active:
            return None
        return token_actor(access, user=user)
    script = Token.objects.select_related("user").filter(key=token).first()
    if script is None or not script.user.is_active:
        return None
    return user_actor(script.user)


class MemoizedSource:
    """A source that answers each read and search once per use (one workspace hook call shares
    it among all services, so overlapping prefetch templates cost one query)."""

    def __init__(self, source: DataSource) -> None:
        self.source = source
        self._memo: dict[tuple, Any] = {}

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        return self._once(("read", resource_type, resource_id), self.source.read)

    def search(self, resource_type: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        key = ("search", resource_type, tuple(params))
        return self._once(key, lambda *_: self.source.search(resource_type, params))

    def next_page(self, url: str) -> dict[str, Any]:
        return self._once(("page", url), lambda *_: self.source.next_page(url))

    def _once(self, key: tuple, fetch: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = fetch(*key[1:])
        return self._memo[key]
