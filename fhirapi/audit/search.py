"""The search parameters of GET /fhir/AuditEvent, as filters on the audit table's columns.

Supported: date (eq ne gt ge lt le sa eb), agent (alias user: a username or OAuth client id),
patient, entity, action, outcome, subtype (an AuditKind's name: read, search-type, login,
break-glass, ...), address; _count, and _cursor in the paging links.
Comma-separated values are alternatives; repeated parameters must all hold. Anything else is
refused (400): a mistyped filter must not quietly widen what an auditor sees.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q

from fhirapi.audit.models import AuditRecord
from fhirapi.errors import InvalidSearch
from fhirapi.search.date_values import date_range

IGNORED = frozenset({"_format", "_pretty"})
_ACTIONS = frozenset(AuditRecord.Action.values)
_OUTCOMES = frozenset(AuditRecord.Outcome.values)


@dataclass(frozen=True)
class AuditQuery:
    where: Q
    count: int
    cursor: int | None  # continue with records older than this id


def audit_query(params: list[tuple[str, str]]) -> AuditQuery:
    where = Q()
    count = settings.FHIR_DEFAULT_COUNT
    cursor = None
    for name, value in params:
        if name in IGNORED:
            continue
        if name == "_count":
            count = min(_whole_number(name, value), settings.FHIR_MAX_COUNT)
        elif name == "_cursor":
            cursor = _whole_number(name, value)
        elif name in _FILTERS:
            where &= _any_of(name, value)
        else:
            raise InvalidSearch(f"{name!r} is not a search parameter of AuditEvent here")
    return AuditQuery(where=where, count=count, cursor=cursor)


def _any_of(name: str, value: str) -> Q:
    alternatives = [part for part in value.split(",") if part]
    if not alternatives:
        raise InvalidSearch(f"{name}: give a value")
    condition = Q()
    for alternative in alternatives:
        condition |= _FILTERS[name](alternative)
    return condition


def _whole_number(name: str, value: str) -> int:
    if not value.isdigit():
        raise InvalidSearch(f"{name}: {value!r} is not a whole number")
    return int(value)


def _date(value: str) -> Q:
    prefix, text = (value[:2], value[2:]) if value[:2].isalpha() else ("eq", value)
    span = date_range(text)
    if span is None:
        raise InvalidSearch(f"date: {value!r} is not a FHIR date or dateTime")
    low, high, _ = span
    return _date_condition(prefix, low, high)


def _date_condition(prefix: str, low: datetime, high: datetime) -> Q:
    within = Q(recorded_at__gte=low, recorded_at__lte=high)
    conditions = {
        "eq": within,
        "ne": ~within,
        "ge": Q(recorded_at__gte=low),
        "gt": Q(recorded_at__gt=high),
        "sa": Q(recorded_at__gt=high),
        "le": Q(recorded_at__lte=high),
        "lt": Q(recorded_at__lt=low),
        "eb": Q(recorded_at__lt=low),
    }
    if prefix not in conditions:
        raise InvalidSearch(f"date: unknown prefix {prefix!r}")
    return conditions[prefix]


def _token(value: str) -> str:
    """The code of a token (`system|code` or `code`)."""
    return value.rpartition("|")[2]


def _agent(value: str) -> Q:
    who = _token(value)
    return Q(username=who) | Q(client_id=who)


def _patient(value: str) -> Q:
    return Q(patient_id=value.removeprefix("Patient/"))


def _entity(value: str) -> Q:
    resource_type, _, resource_id = value.rpartition("/")
    if not resource_type:
        return Q(resource_id=value) | Q(patient_id=value)
    condition = Q(resource_type=resource_type, resource_id=resource_id)
    return condition | Q(patient_id=resource_id) if resource_type == "Patient" else condition


def _address(value: str) -> Q:
    try:
        return Q(source_ip=str(ipaddress.ip_address(value)))
    except ValueError:
        raise InvalidSearch(f"address: {value!r} is not an IP address") from None


def _choice(name: str, allowed: frozenset[str]):
    def condition(value: str) -> Q:
        code = _token(value)
        if code not in allowed:
            raise InvalidSearch(f"{name}: {code!r} is not one of {', '.join(sorted(allowed))}")
        return Q(**{name: code})

    return condition


_FILTERS = {
    "date": _date,
    "agent": _agent,
    "user": _agent,
    "patient": _patient,
    "entity": _entity,
    "action": _choice("action", _ACTIONS),
    "outcome": _choice("outcome", _OUTCOMES),
    "subtype": lambda value: Q(subtype=_token(value)),
    "address": _address,
}
