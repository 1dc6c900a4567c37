"""The engine against the brute-force reference evaluator, on generated queries: values are taken
from the indexed data (so that queries match something) and varied, with every modifier and
prefix each parameter type supports, ORed (comma) and ANDed (repeated) at random."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fhirapi.search import sql_date
from fhirapi.search.date_values import OPEN_END, OPEN_START
from fhirapi.search.engine import find_matches
from fhirapi.search.index_rows import DateRow, NumberRow, QuantityRow, ReferenceRow, TokenRow
from fhirapi.search.registry import ParamType, get_parameter
from fhirapi.search.text_values import content_text, words
from fhirapi.store.models import ResourceRecord
from tests.fhirapi.search.conftest import BASE
from tests.fhirapi.search.reference_evaluator import Evaluator

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def reference(search_data, django_db_blocker):
    """The evaluator over every stored resource, and the rows to draw query values from."""
    with django_db_blocker.unblock():
        resources = [r.content for r in ResourceRecord.objects.filter(deleted=False)]
    evaluator = Evaluator(resources, base_urls=(django_settings.FHIR_BASE_URL, BASE), now=NOW)
    candidates: dict[ParamType, list[tuple[str, str, object]]] = defaultdict(list)
    for resource in resources:
        values = evaluator.values[id(resource)]
        rows = [*values.strings, *values.tokens, *values.dates, *values.numbers]
        rows += [*values.quantities, *values.references, *values.uris, *values.composites]
        for row in rows:
            param = get_parameter(resource["resourceType"], row.param)
            if row.param not in ("_id", "_lastUpdated"):
                candidates[param.type].append((resource["resourceType"], row.param, row))
    return Reference(evaluator, candidates, resources)


class Reference:
    """The evaluator and the data; a short repr keeps hypothesis' reports readable."""

    def __init__(self, evaluator: Evaluator, candidates: dict, resources: list[dict]) -> None:
        self.evaluator, self.candidates, self.resources = evaluator, candidates, resources

    def __repr__(self) -> str:
        return f"<reference over {len(self.resources)} resources>"


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(sql_date, "timezone", SimpleNamespace(now=lambda: NOW))


def escape(text: str) -> str:
    return "".join(f"\\{c}" if c in ",|$\\" else c for c in text)


# -- values per type -----------------------------------------------------------------------------


def string_value(draw, row) -> tuple[str | None, str]:
    modifier = draw(st.sampled_from([None, None, "exact", "contains", "missing"]))
    text = row.normalized[:256]
    if modifier == "missing":
        return modifier, draw(st.sampled_from(["true", "false"]))
    if modifier == "exact":
        return modifier, escape(draw(st.sampled_from([row.exact, row.exact.upper()])))
    start = draw(st.integers(0, max(len(text) - 1, 0))) if modifier == "contains" else 0
    end = draw(st.integers(min(start + 1, len(text)), len(text)))
    piece = draw(st.sampled_from([text[start:end], text[start:end].upper(), text[start:end] + "q"]))
    return modifier, escape(piece)


def token_value(draw, row: TokenRow, modifiers: bool = True) -> tuple[str | None, str]:
    options = [None, None] + (["not", "missing", "text", "of-type"] if modifiers else [])
    modifier = draw(st.sampled_from(options))
    if modifier == "missing":
        return modifier, draw(st.sampled_from(["true", "false"]))
    if modifier == "text":
        found = words(row.text or "") or ["nothing"]
        return modifier, " ".join(found[: draw(st.integers(1, len(found)))])
    if modifier == "of-type" and row.type_code and row.code:
        return modifier, "|".join(
            escape(p) for p in (row.type_system or "", row.type_code, row.code)
        )
    if row.code is None:
        return None, f"{escape(row.system)}|" if row.system else "unknown"
    code, system = escape(row.code), escape(row.system or "")
    forms = [code, f"{system}|{code}", f"|{code}", f"{system}|" if system else code, "x" + code]
    return (modifier if modifier == "not" else None), draw(st.sampled_from(forms))


def moment_text(draw, moment: datetime) -> str:
    precision = draw(st.sampled_from(["year", "month", "day", "second", "offset"]))
    moment = moment + timedelta(days=draw(st.sampled_from([0, 0, -1, 1, 40])))
    day = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    if precision == "year":
        return day[:4]
    if precision == "month":
        return day[:7]
    if precision == "day":
        return day
    if precision == "second":
        return f"{day}T{moment:%H:%M:%S}Z"
    shifted = moment + timedelta(hours=2)
    return f"{shifted.year:04d}-{shifted:%m-%dT%H:%M:%S}+02:00"


def date_value(draw, row: DateRow, modifiers: bool = True) -> tuple[str | None, str]:
    if modifiers and draw(st.integers(0, 9)) == 0:
        return "missing", draw(st.sampled_from(["true", "false"]))
    ends = [m for m in (row.low, row.high) if m not in (OPEN_START, OPEN_END)]
    moment = draw(st.sampled_from(ends)) if ends else NOW
    return None, draw(st.sampled_from(PREFIXES)) + moment_text(draw, moment)


def number_text(draw, value: Decimal) -> str:
    places = draw(st.integers(0, 3))
    shown = value.quantize(Decimal(1).scaleb(-places)) if value.is_finite() else Decimal(1)
    shown += draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("0.5"), Decimal(-1)]))
    return draw(st.sampled_from(PREFIXES)) + str(shown)


def finite(values) -> list[Decimal]:
    return [v for v in values if v is not None and v.is_finite()] or [Decimal(1)]


def number_value(draw, row: NumberRow, modifiers: bool = True) -> tuple[str | None, str]:
    return None, number_text(draw, draw(st.sampled_from(finite((row.value, row.low, row.high)))))


def quantity_value(draw, row: QuantityRow, modifiers: bool = True) -> tuple[str | None, str]:
    value = draw(st.sampled_from(finite((row.value, row.low, row.high))))
    units = [""]
    if row.code:
        units += [f"||{escape(row.code)}", f"|{escape(row.system or '')}|{escape(row.code)}"]
    if row.canonical_code == "g":
        units.append("|http://unitsofmeasure.org|mg")
        value *= 1000 if row.code == "g" else 1
    return None, number_text(draw, value) + draw(st.sampled_from(units))


def reference_value(draw, row: ReferenceRow, modifiers: bool = True) -> tuple[str | None, str]:
    if row.target_id:
        forms = [
            (None, f"{row.target_type}/{row.target_id}"),
            (None, row.target_id),
            (row.target_type, row.target_id),
            ("Group", row.target_id),
            (None, f"{django_settings.FHIR_BASE_URL}/{row.target_type}/{row.target_id}"),
        ]
    elif row.url:
        forms = [(None, escape(row.url)), (None, escape(row.url.split("|")[0]))]
    else:
        forms = [("identifier", f"{escape(row.identifier_system or '')}|{row.identifier_value}")]
    if modifiers:
        forms.append(("missing", "false"))
    return draw(st.sampled_from(forms))


def uri_value(draw, row, modifiers: bool = True) -> tuple[str | None, str]:
    cut = draw(st.integers(1, len(row.value)))
    return draw(
        st.sampled_from(
            [
                (None, escape(row.value)),
                ("below", escape(row.value[:cut])),
                ("above", escape(row.value + "/more/parts")),
                ("above", escape(row.value[:cut])),
            ]
        )
    )


VALUES = {
    ParamType.STRING: string_value,
    ParamType.TOKEN: token_value,
    ParamType.DATE: date_value,
    ParamType.NUMBER: number_value,
    ParamType.QUANTITY: quantity_value,
    ParamType.REFERENCE: reference_value,
    ParamType.URI: uri_value,
}
PART_VALUES = {TokenRow: token_value, DateRow: date_value, QuantityRow: quantity_value}
PART_VALUES[NumberRow] = number_value
PART_VALUES[ReferenceRow] = reference_value


def composite_value(draw, row) -> tuple[str | None, str]:
    parts = [PART_VALUES[type(part)](draw, part, modifiers=False)[1] for part in row.parts]
    return None, "$".join(parts)


# -- the comparison ------------------------------------------------------------------------------


def criterion(draw, reference, kind: ParamType, resource_type: str | None) -> tuple[str, str, str]:
    pool = reference.candidates[kind]
    if resource_type is not None:
        pool = [c for c in pool if c[0] == resource_type] or pool
    resource_type, code, row = draw(st.sampled_from(pool))
    make = composite_value if kind == ParamType.COMPOSITE else VALUES[kind]
    modifier, value = make(draw, row)
    if modifier != "missing" and draw(st.integers(0, 3)) == 0:  # OR another value, same modifier
        same = [c for c in pool if c[:2] == (resource_type, code)]
        other_modifier, other = make(draw, draw(st.sampled_from(same))[2])
        if other_modifier == modifier:
            value = f"{value},{other}"
    key = f"{code}:{modifier}" if modifier else code
    return resource_type, key, value


def check(reference, data, kinds: list[ParamType]) -> None:
    resource_type, key, value = criterion(
        data.draw, reference, data.draw(st.sampled_from(kinds)), None
    )
    params = [(key, value)]
    if data.draw(st.booleans()):  # AND a second criterion on the same type
        kind = data.draw(st.sampled_from(kinds))
        other_type, other_key, other_value = criterion(data.draw, reference, kind, resource_type)
        if other_type == resource_type:
            params.append((other_key, other_value))
    expected = reference.evaluator.matches(resource_type, params)
    found = {s.resource_id for s in find_matches(resource_type, params, limit=None)}
    event("some match" if expected else "no match")
    assert found == expected, (resource_type, params)


@EXAMPLES
@given(data=st.data())
def test_string(reference, data):
    check(reference, data, [ParamType.STRING])


@EXAMPLES
@given(data=st.data())
def test_token(reference, data):
    check(reference, data, [ParamType.TOKEN])


@EXAMPLES
@given(data=st.data())
def test_date(reference, data):
    check(reference, data, [ParamType.DATE])


@EXAMPLES
@given(data=st.data())
def test_number_and_quantity(reference, data):
    check(reference, data, [ParamType.NUMBER, ParamType.QUANTITY])


@EXAMPLES
@given(data=st.data())
def test_reference_and_uri(reference, data):
    check(reference, data, [ParamType.REFERENCE, ParamType.URI])


@EXAMPLES
@given(data=st.data())
def test_composite(reference, data):
    check(reference, data, [ParamType.COMPOSITE])


@EXAMPLES
@given(data=st.data())
def test_mixed_types(reference, data):
    check(reference, data, [ParamType.STRING, ParamType.TOKEN, ParamType.DATE, ParamType.REFERENCE])


@EXAMPLES
@given(data=st.data())
def test_chains(reference, data):
    """`reference[:Type].param=value`, with the chained value taken from a target's own rows."""
    links = [  # a chain goes to the parameter's declared targets only (Bundle.message: a
        # MessageHeader, though the entry indexed may be a Composition)
        (resource_type, code, row)
        for resource_type, code, row in reference.candidates[ParamType.REFERENCE]
        if row.target_id
        and (row.target_type, row.target_id) in reference.evaluator.by_identity
        and _chain_allowed(resource_type, code, row.target_type)
    ]
    resource_type, code, row = data.draw(st.sampled_from(links))
    target = reference.evaluator.by_identity[(row.target_type, row.target_id)]
    kinds = [ParamType.STRING, ParamType.TOKEN, ParamType.DATE]
    kind = data.draw(st.sampled_from([k for k in kinds if _rows_of(reference, target, k)] or kinds))
    pool = _rows_of(reference, target, kind) or reference.candidates[kind]
    _, inner_code, inner_row = data.draw(st.sampled_from(pool))
    modifier, value = VALUES[kind](data.draw, inner_row)
    inner = f"{inner_code}:{modifier}" if modifier else inner_code
    head = data.draw(st.sampled_from([code, f"{code}:{row.target_type}"]))
    params = [(f"{head}.{inner}", value)]
    expected = reference.evaluator.matches(resource_type, params)
    found = {s.resource_id for s in find_matches(resource_type, params, limit=None)}
    event("some match" if expected else "no match")
    assert found == expected, (resource_type, params)


def _chain_allowed(resource_type: str, code: str, target_type: str) -> bool:
    targets = get_parameter(resource_type, code).targets
    return not targets or target_type in targets


def _rows_of(reference, resource: dict, kind: ParamType) -> list[tuple[str, str, object]]:
    """The (type, code, row) candidates of one resource, for one parameter type."""
    values = reference.evaluator.values[id(resource)]
    rows = {ParamType.STRING: values.strings, ParamType.TOKEN: values.tokens}
    rows[ParamType.DATE] = values.dates
    skipped = ("_id", "_lastUpdated")
    return [(resource["resourceType"], r.param, r) for r in rows[kind] if r.param not in skipped]


@EXAMPLES
@given(data=st.data())
def test_record_columns_and_full_text(reference, data):
    resource = data.draw(st.sampled_from(reference.resources))
    resource_type = resource["resourceType"]
    others = [r["id"] for r in reference.resources if r["resourceType"] == resource_type]
    found_words = words(content_text(resource)) or ["none"]
    options = [
        [("_id", f"{resource['id']},{data.draw(st.sampled_from(others))}")],
        [("_id:not", resource["id"])],
        [("_lastUpdated", data.draw(st.sampled_from(PREFIXES)) + "2025-06-01")],
        [("_content", data.draw(st.sampled_from(found_words)))],
    ]
    if get_parameter(resource_type, "_text"):  # DomainResources only
        options.append([("_text", data.draw(st.sampled_from(found_words)))])
    params = data.draw(st.sampled_from(options))
    expected = reference.evaluator.matches(resource_type, params)
    found = {s.resource_id for s in find_matches(resource_type, params, limit=None)}
    event("some match" if expected else "no match")
    assert found == expected, (resource_type, params)
