"""One rest-hook notification over HTTP (R4): without payload an empty POST to the endpoint; with
one, the resource PUT to `<endpoint>/<type>/<id>`. The channel's header lines are sent."""

import json
from typing import Any

import httpx


class DeliveryFailed(Exception):
    """The endpoint did not take the notification; the message says why."""


def rest_hook_send(
    *,
    endpoint: str,
    payload: str,
    header_lines: list[str],
    resource: dict[str, Any] | None,
    timeout: float,
) -> None:
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    try:
        if resource is not None:
            url = f"{endpoint.rstrip('/')}/{resource['resourceType']}/{resource['id']}"
            headers["Content-Type"] = payload
            body = json.dumps(resource, separators=(",", ":")).encode()
            response = httpx.put(url, content=body, headers=headers, timeout=timeout)
        else:
            url = endpoint
            response = httpx.post(url, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{url}: {exc.__class__.__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"{url} answered HTTP {response.status_code}")
