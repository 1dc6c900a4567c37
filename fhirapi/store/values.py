"""Values that cross the store's boundary: what a read or a write gives back."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class StoredResource:
    resource_type: str
    resource_id: str
    version_id: int
    last_updated: datetime
    deleted: bool
    content: dict[str, Any] | None  # None for a deletion

    @property
    def etag(self) -> str:
        return f'W/"{self.version_id}"'

    @property
    def relative_url(self) -> str:
        return f"{self.resource_type}/{self.resource_id}"

    @property
    def versioned_url(self) -> str:
        return f"{self.resource_type}/{self.resource_id}/_history/{self.version_id}"


@dataclass(frozen=True)
class WriteOutcome:
    """The result of a write: the version now current, and how it came about."""

    stored: StoredResource
    created: bool = False
    changed: bool = True  # False when a conditional create found a match, or a delete found nothing

    @property
    def status(self) -> int:
        return 201 if self.created else 200


def parse_etag(value: str | None) -> int | None:
    """The version number in an ETag or If-Match value (`W/"3"`, `"3"` or `3`); None when absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not (text.isascii() and text.isdigit() and len(text) < 10):
        from fhirapi.errors import BadRequest

        raise BadRequest(f"malformed version in If-Match/ETag: {value!r}")
    return int(text)
