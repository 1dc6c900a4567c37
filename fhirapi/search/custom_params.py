"""SearchParameter resources in the store are searchable: the registry holds them as custom
parameters (`registry.register_custom`).

`sync_custom_parameters` brings the registry in line with the store: it runs after each commit that
wrote a SearchParameter (an event subscriber, see `fhirapi.apps`) and, cheaply, before each search
(one indexed query compares the store's SearchParameter fingerprint), so a process that just
started, or another worker's writes, are picked up. A SearchParameter the registry cannot use is
logged and skipped. Resources written before a parameter existed are found once `$reindex` has
indexed them again.
"""

import threading
from collections.abc import Iterable

import structlog
from django.db.models import Count, Max

from fhirapi.errors import InvalidResource
from fhirapi.search.registry import register_custom, unregister_custom
from fhirapi.store.events import ResourceChanged
from fhirapi.store.models import ResourceRecord

logger = structlog.get_logger(__name__)
SEARCH_PARAMETER = "SearchParameter"
_lock = threading.Lock()
_state: dict[str, object] = {"fingerprint": None, "urls": frozenset()}


def search_parameters_changed(events: Iterable[ResourceChanged]) -> None:
    """Event subscriber: re-sync when a committed batch wrote a SearchParameter."""
    if any(event.resource_type == SEARCH_PARAMETER for event in events):
        sync_custom_parameters(force=True)


def sync_custom_parameters(*, force: bool = False) -> None:
    records = ResourceRecord.objects.filter(resource_type=SEARCH_PARAMETER)
    fingerprint = tuple(records.aggregate(n=Count("id"), last=Max("last_updated")).values())
    if not force and fingerprint == _state["fingerprint"]:
        return
    with _lock:
        current = [r.content for r in records.filter(deleted=False).only("content")]
        urls = {url for content in current if (url := _register(content))}
        for stale in _state["urls"] - urls:  # type: ignore[operator]
            unregister_custom(stale)
        _state.update(fingerprint=fingerprint, urls=frozenset(urls))


def _register(content: dict) -> str | None:
    try:
        register_custom(content)
    except InvalidResource as error:
        logger.warning("search parameter not usable", url=content.get("url"), error=str(error))
        return None
    return content["url"]


def ensure_custom_parameters() -> None:
    """Load the stored SearchParameters once per process (before its first search)."""
    if _state["fingerprint"] is None:
        sync_custom_parameters()
