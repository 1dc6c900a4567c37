"""Writing the audit trail. Every access to patient data and every security event goes through
audit_record; rows are never changed afterwards (see models.py).

A record written on its own (a FHIR request's, after the response is made) does not wait for its
commit to reach the disk unless AUDIT_SYNCHRONOUS_COMMIT is on: waiting would double the time of a
read. PostgreSQL then never corrupts the table, but a crash of the database server itself can lose
the records of its last fraction of a second. Records written inside a caller's transaction (break
the glass, restrict a chart) commit with it, as it commits.
"""

import re

import orjson
from django.conf import settings
from django.db import connection
from django.utils import timezone

from fhirapi.audit.events import AuditFacts, AuditKind, audit_event
from fhirapi.audit.models import AuditRecord
from fhirapi.audit.origin import RequestOrigin, current_origin

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
SUCCESS = AuditRecord.Outcome.SUCCESS
MINOR_FAILURE = AuditRecord.Outcome.MINOR_FAILURE
SERIOUS_FAILURE = AuditRecord.Outcome.SERIOUS_FAILURE


def outcome_for_status(status: int) -> str:
    if status < 400:
        return SUCCESS
    return MINOR_FAILURE if status < 500 else SERIOUS_FAILURE


def audit_record(
    *,
    kind: AuditKind,
    username: str,
    outcome: str = SUCCESS,
    patient_id: str = "",
    resource_type: str = "",
    resource_id: str = "",
    query: str = "",
    description: str = "",
    purpose: str = "",
    client_id: str = "",
    origin: RequestOrigin | None = None,
) -> AuditRecord:
    """Append one record. `origin` defaults to the request being handled (address, request id);
    `purpose` is a break-the-glass reason; `query` a search's query string."""
    origin = origin or current_origin()
    facts = AuditFacts(  # cut to the columns' sizes: usernames of failed sign-ins are anything
        kind=kind,
        recorded_at=timezone.now(),
        username=_storable(username, 150),
        outcome=outcome,
        client_id=_storable(client_id, 100),
        source_ip=origin.source_ip,
        request_id=_storable(origin.request_id, 128),
        patient_id=_storable(patient_id, 64),
        resource_type=_storable(resource_type, 64),
        resource_id=_storable(resource_id, 64),
        query=_storable(query, 4000),
        description=_storable(description, 1000),
        purpose=_storable(purpose, 1000),
    )
    # Inside a caller's transaction the record commits with it, as that transaction commits.
    on_its_own = not connection.in_atomic_block
    return _record_insert(facts, wait_for_disk=settings.AUDIT_SYNCHRONOUS_COMMIT or not on_its_own)


def _storable(text: str, limit: int) -> str:
    """Cut to `limit`; a NUL or lone surrogate (from a hostile URL), which PostgreSQL refuses in
    text and JSON, becomes U+FFFD so the failed request is still recorded."""
    return _UNSTORABLE.sub("\ufffd", text[:limit])


_COLUMNS = (
    "recorded_at",
    "username",
    "client_id",
    "patient_id",
    "action",
    "subtype",
    "resource_type",
    "resource_id",
    "outcome",
    "source_ip",
    "request_id",
    "content",
)
_VALUES = ", ".join(["%s"] * (len(_COLUMNS) - 1) + ["%s::jsonb"])
_INSERT = f"INSERT INTO {AuditRecord._meta.db_table} ({', '.join(_COLUMNS)}) SELECT {_VALUES}"
# One statement, so one round trip: set_config(..., true) lasts for the statement's own
# transaction, whose commit then does not wait for the disk.
_INSERT_NOT_WAITING = f"{_INSERT} FROM (SELECT set_config('synchronous_commit', 'off', true)) s"
_RETURNING = " RETURNING id"


def _record_insert(facts: AuditFacts, *, wait_for_disk: bool) -> AuditRecord:
    record = AuditRecord(
        recorded_at=facts.recorded_at,
        username=facts.username,
        client_id=facts.client_id,
        patient_id=facts.patient_id,
        action=facts.kind.action,
        subtype=facts.kind.name,
        resource_type=facts.resource_type,
        resource_id=facts.resource_id,
        outcome=facts.outcome,
        source_ip=facts.source_ip,
        request_id=facts.request_id,
        content=audit_event(facts),
    )
    values = [getattr(record, column) for column in _COLUMNS[:-1]]
    values.append(orjson.dumps(record.content).decode())
    sql = (_INSERT if wait_for_disk else _INSERT_NOT_WAITING) + _RETURNING
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        record.pk = cursor.fetchone()[0]
    record._state.adding, record._state.db = False, connection.alias
    return record
