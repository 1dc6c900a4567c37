"""Reading the audit trail: AuditEvent search and read for auditors, a patient's access log."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from fhirapi.audit.models import AuditRecord
from fhirapi.audit.search import AuditQuery
from fhirapi.errors import Forbidden, ResourceNotFound
from fhirapi.store.writes import format_instant

VIEW_AUDIT = "audit.view_auditrecord"  # held by the admin role (clinical/roles.py)


@dataclass(frozen=True)
class AuditPage:
    events: list[dict[str, Any]]
    next_cursor: int | None  # None on the last page


def audit_search(*, user: AbstractBaseUser | AnonymousUser, query: AuditQuery) -> AuditPage:
    """Newest first, one page; refused (Forbidden) to whoever may not read the audit trail."""
    _require_auditor(user)
    rows = AuditRecord.objects.filter(query.where)
    if query.cursor is not None:
        rows = rows.filter(pk__lt=query.cursor)
    records = list(rows.order_by("-pk")[: query.count + 1])
    more = len(records) > query.count
    records = records[: query.count]
    return AuditPage(
        events=[audit_event_resource(record) for record in records],
        next_cursor=records[-1].pk if more else None,
    )


def audit_event_read(*, user: AbstractBaseUser | AnonymousUser, event_id: str) -> dict[str, Any]:
    _require_auditor(user)
    known = event_id.isdigit() and len(event_id) < 19  # a bigint
    record = AuditRecord.objects.filter(pk=int(event_id)).first() if known else None
    if record is None:
        raise ResourceNotFound(f"AuditEvent/{event_id} is not known")
    return audit_event_resource(record)


def patient_access_log(*, patient_id: str, limit: int = 50) -> list[AuditRecord]:
    """Who touched this patient's data, newest first (for the chart's access-log panel)."""
    return list(AuditRecord.objects.filter(patient_id=patient_id).order_by("-recorded_at")[:limit])


def audit_event_resource(record: AuditRecord) -> dict[str, Any]:
    return {
        "resourceType": "AuditEvent",
        "id": str(record.pk),
        "meta": {"lastUpdated": format_instant(record.recorded_at)},
        **{key: value for key, value in record.content.items() if key != "resourceType"},
    }


def _require_auditor(user: AbstractBaseUser | AnonymousUser) -> None:
    if not user.has_perm(VIEW_AUDIT):
        raise Forbidden("reading the audit trail needs the admin role (permission view_audit)")
