"""What kind of event an audit record is, and the FHIR R4 AuditEvent written for it."""

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fhirapi.store.writes import format_instant

DCM = "http://dicom.nema.org/resources/ontology/DCM"
USERNAME_SYSTEM = "urn:wintehr:username"
CLIENT_SYSTEM = "urn:wintehr:oauth-client"
REQUEST_ID_EXTENSION = "urn:wintehr:request-id"


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str

    def as_fhir(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


@dataclass(frozen=True)
class AuditKind:
    """The AuditEvent's type, subtype and action; `name` is what the subtype column holds."""

    name: str
    type: Coding
    subtype: Coding
    action: str  # C R U D E


REST = Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation")
USER_AUTHENTICATION = Coding(DCM, "110114", "User Authentication")
SECURITY_ALERT = Coding(DCM, "110113", "Security Alert")

LOGIN = AuditKind("login", USER_AUTHENTICATION, Coding(DCM, "110122", "Login"), "E")
LOGOUT = AuditKind("logout", USER_AUTHENTICATION, Coding(DCM, "110123", "Logout"), "E")
BREAK_GLASS = AuditKind(
    "break-glass", SECURITY_ALERT, Coding(DCM, "110127", "Emergency Override Started"), "E"
)
CARE_TEAM_CHANGE = AuditKind(
    "care-team-change", SECURITY_ALERT, Coding(DCM, "110136", "Security Roles Changed"), "E"
)

_REST_ACTIONS = {
    "read": "R",
    "vread": "R",
    "update": "U",
    "patch": "U",
    "delete": "D",
    "history-instance": "R",
    "history-type": "R",
    "history-system": "R",
    "create": "C",
    "search-type": "R",
    "search-system": "R",
    "capabilities": "R",
    "batch": "E",
    "transaction": "E",
    "operation": "E",
}
REST_KINDS = {
    code: AuditKind(
        code, REST, Coding("http://hl7.org/fhir/restful-interaction", code, code), action
    )
    for code, action in _REST_ACTIONS.items()
}
BREAK_THE_GLASS = Coding(
    "http://terminology.hl7.org/CodeSystem/v3-ActReason", "BTG", "break the glass"
)
_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
_OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"


@dataclass(frozen=True)
class AuditFacts:
    """Everything an AuditEvent says, as plain values."""

    kind: AuditKind
    recorded_at: datetime
    username: str
    outcome: str
    client_id: str = ""
    source_ip: str | None = None
    request_id: str = ""
    patient_id: str = ""
    resource_type: str = ""
    resource_id: str = ""
    query: str = ""
    description: str = ""
    purpose: str = ""


def audit_event(facts: AuditFacts) -> dict[str, Any]:
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "type": facts.kind.type.as_fhir(),
        "subtype": [facts.kind.subtype.as_fhir()],
        "action": facts.kind.action,
        "recorded": format_instant(facts.recorded_at),
        "outcome": facts.outcome,
        "agent": _agents(facts),
        "source": {
            "observer": {"display": "WintEHR"},
            "type": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                    "code": "4",
                    "display": "Application Server",
                }
            ],
        },
    }
    if facts.request_id:
        event["extension"] = [{"url": REQUEST_ID_EXTENSION, "valueString": facts.request_id}]
    if facts.description:
        event["outcomeDesc"] = facts.description
    if facts.purpose:
        event["purposeOfEvent"] = [{"coding": [BREAK_THE_GLASS.as_fhir()], "text": facts.purpose}]
    entities = _entities(facts)
    if entities:
        event["entity"] = entities
    return event


def _agents(facts: AuditFacts) -> list[dict[str, Any]]:
    user: dict[str, Any] = {
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
                    "code": "humanuser",
                    "display": "human user",
                }
            ]
        },
        "who": (
            {"identifier": {"system": USERNAME_SYSTEM, "value": facts.username}}
            | {"display": facts.username}
            if facts.username
            else {"display": "anonymous"}
        ),
        "requestor": True,
    }
    if facts.source_ip:
        user["network"] = {"address": facts.source_ip, "type": "2"}
    agents = [user]
    if facts.client_id:
        agents.append(
            {
                "type": {"coding": [Coding(DCM, "110150", "Application").as_fhir()]},
                "who": {"identifier": {"system": CLIENT_SYSTEM, "value": facts.client_id}},
                "requestor": False,
            }
        )
    return agents


def _entities(facts: AuditFacts) -> list[dict[str, Any]]:
    entities = []
    if facts.patient_id:
        entities.append(
            {
                "what": {"reference": f"Patient/{facts.patient_id}"},
                "type": {"system": _ENTITY_TYPE, "code": "1", "display": "Person"},
                "role": {"system": _OBJECT_ROLE, "code": "1", "display": "Patient"},
            }
        )
    if facts.resource_type and not (
        facts.resource_type == "Patient" and facts.resource_id == facts.patient_id
    ):
        entities.append(_data_entity(facts))
    return entities


def _data_entity(facts: AuditFacts) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "type": {"system": _ENTITY_TYPE, "code": "2", "display": "System Object"},
    }
    if facts.resource_id:
        entity["what"] = {"reference": f"{facts.resource_type}/{facts.resource_id}"}
    else:
        entity["name"] = facts.resource_type
    if facts.query:
        entity["role"] = {"system": _OBJECT_ROLE, "code": "24", "display": "Query"}
        entity["query"] = base64.b64encode(facts.query.encode()).decode("ascii")
    else:
        entity["role"] = {"system": _OBJECT_ROLE, "code": "4", "display": "Domain Resource"}
    return entity
