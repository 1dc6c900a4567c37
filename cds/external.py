"""External CDS service providers registered in the admin: fetching their discovery documents."""

import logging

import httpx
from django.utils import timezone

from cds.client_signing import bearer_header
from cds.hooks import HOOKS
from cds.models import ExternalCdsService

logger = logging.getLogger(__name__)
DISCOVERY_TIMEOUT_SECONDS = 10.0


class DiscoveryError(Exception):
    pass


def external_discovery_refresh(*, provider: ExternalCdsService) -> None:
    """Fetch and store the provider's services; on failure keep the last ones and the error."""
    try:
        provider.services = fetch_discovery(provider.base_url)
        provider.discovered_at = timezone.now()
        provider.last_error = ""
    except DiscoveryError as exc:
        logger.warning("CDS discovery of %s failed: %s", provider.base_url, exc)
        provider.last_error = str(exc)
    provider.save(update_fields=["services", "discovered_at", "last_error"])


def external_refresh_all() -> int:
    providers = list(ExternalCdsService.objects.filter(enabled=True))
    for provider in providers:
        external_discovery_refresh(provider=provider)
    return len(providers)


def fetch_discovery(base_url: str) -> list[dict]:
    url = f"{base_url.rstrip('/')}/cds-services"
    try:
        response = httpx.get(url, headers=bearer_header(url), timeout=DISCOVERY_TIMEOUT_SECONDS)
        data = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        raise DiscoveryError(f"{url}: {exc}") from exc
    if data is None:
        raise DiscoveryError(f"{url} answered {response.status_code}")
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, list):
        raise DiscoveryError(f"{url} sent no services array")
    return [s for s in services if _usable(s)]


def _usable(entry: object) -> bool:
    """A discovery entry we can call: id, description and a hook we know (others are skipped)."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("id"), str)
        and isinstance(entry.get("description"), str)
        and entry.get("hook") in HOOKS
        and isinstance(entry.get("prefetch", {}), dict)
    )
