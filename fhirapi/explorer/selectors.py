"""The explorer's reads: through FhirRepository with the user's actor (what a session may do over
the REST API), each leaving an audit record as the same REST interaction would."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.rest_events import patient_of_query, patient_of_resource
from fhirapi.audit.services import MINOR_FAILURE, SUCCESS, audit_record
from fhirapi.errors import FhirError
from fhirapi.explorer.query import ExplorerQuery
from fhirapi.services import FhirRepository, user_actor
from fhirapi.store.reads import HistoryQuery, TypeCounts
from fhirapi.store.values import StoredResource

AUDIT_DESCRIPTION = "FHIR explorer"
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class ResultRow:
    resource_type: str
    resource_id: str
    last_updated: str
    summary: str
    mode: str  # "match" or "include"


@dataclass(frozen=True)
class SearchResult:
    bundle: dict[str, Any] | None
    rows: list[ResultRow]
    next_query: str  # the next page's query string, "" on the last page
    error: str = ""

    @property
    def total(self) -> int | None:
        return self.bundle.get("total") if self.bundle else None


def explorer_type_counts(*, user: AbstractBaseUser) -> TypeCounts:
    return _repository(user).type_counts()


def explorer_search(*, user: AbstractBaseUser, query: ExplorerQuery) -> SearchResult:
    outcome = SUCCESS
    try:
        bundle = _repository(user).search_bundle(
            query.resource_type, query.pairs(), base_url=settings.FHIR_BASE_URL
        )
    except FhirError as exc:
        outcome = MINOR_FAILURE
        return SearchResult(None, [], "", error=str(exc))
    finally:
        _audit(
            user,
            "search-type",
            query.resource_type,
            query=query.query_string,
            outcome=outcome,
            patient_id=patient_of_query(query.resource_type, query.pairs()),
        )
    rows = [_row(entry) for entry in bundle.get("entry", []) if "resource" in entry]
    return SearchResult(bundle, rows, _next_query(bundle))


def explorer_resource(
    *, user: AbstractBaseUser, resource_type: str, resource_id: str
) -> tuple[StoredResource, list[StoredResource]]:
    """The current version and the history (newest first) of one resource."""
    repository = _repository(user)
    try:
        page = repository.history(HistoryQuery(resource_type, resource_id, count=HISTORY_LIMIT))
    except FhirError:
        _audit(user, "history-instance", resource_type, resource_id, outcome=MINOR_FAILURE)
        raise
    current = page.versions[0]
    patient_id = resource_id if resource_type == "Patient" else ""
    patient_id = patient_id or patient_of_resource(current.content)
    _audit(user, "history-instance", resource_type, resource_id, patient_id=patient_id)
    return current, page.versions


def _repository(user: AbstractBaseUser) -> FhirRepository:
    return FhirRepository(actor=user_actor(user))


def _audit(
    user: AbstractBaseUser,
    interaction: str,
    resource_type: str,
    resource_id: str = "",
    *,
    query: str = "",
    outcome: str = SUCCESS,
    patient_id: str = "",
) -> None:
    audit_record(
        kind=REST_KINDS[interaction],
        username=user.get_username(),
        resource_type=resource_type,
        resource_id=resource_id,
        patient_id=patient_id,
        query=query,
        outcome=outcome,
        description=AUDIT_DESCRIPTION,
    )


def _row(entry: dict[str, Any]) -> ResultRow:
    resource = entry["resource"]
    return ResultRow(
        resource_type=resource.get("resourceType", ""),
        resource_id=resource.get("id", ""),
        last_updated=resource.get("meta", {}).get("lastUpdated", ""),
        summary=resource_summary(resource),
        mode=entry.get("search", {}).get("mode", "match"),
    )


def resource_summary(resource: dict[str, Any]) -> str:
    """A few words naming the resource: its name, code or text, and status."""
    parts = [_name(resource) or _concept(resource.get("code")), resource.get("status", "")]
    return " · ".join(part for part in parts if part)


def _name(resource: dict[str, Any]) -> str:
    names = resource.get("name")
    if isinstance(names, str):
        return names
    if isinstance(names, list) and names and isinstance(names[0], dict):
        name = names[0]
        return name.get("text") or " ".join([*name.get("given", []), name.get("family", "")])
    return ""


def _concept(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    codings = concept.get("coding") or [{}]
    return concept.get("text") or codings[0].get("display") or codings[0].get("code", "")


def _next_query(bundle: dict[str, Any]) -> str:
    link = next((lk for lk in bundle.get("link", []) if lk.get("relation") == "next"), None)
    return urlsplit(link["url"]).query if link else ""
