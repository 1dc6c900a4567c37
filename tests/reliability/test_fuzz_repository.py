"""Hostile input to the in-process API (FhirRepository): structurally plausible Patients and
Observations with garbage sprinkled in, search URLs of random names, modifiers, prefixes and
values, and random batch/transaction Bundles. Whatever goes in, only a FhirError may come out:
anything else (a DataError, a KeyError, a TypeError...) would be a 500 over REST and a crash
on the screens. Deterministic (derandomize); RELIABILITY_FUZZ_EXAMPLES raises the count."""

import os
import string

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fhirapi.errors import FhirError
from fhirapi.search.query import KNOWN_MODIFIERS
from fhirapi.search.registry import parameters_for
from fhirapi.services import FhirRepository
from tests.fhirapi.conftest import observation, patient

EXAMPLES = int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BASE = "http://testserver/fhir"

# Strings that break naive code: SQL, script, regex bombs, FHIR escapes, odd Unicode, huge numbers.
NASTY = [
    "' OR '1'='1",
    "'; DROP TABLE fhirapi_resourcerecord; --",
    "\\'; SELECT pg_sleep(10); --",
    '<script>alert("x")</script>',
    "(a+)+$",
    "(.*a){20}",
    "%",
    "_",
    "\\",
    "\\,",
    "\\|",
    "\\$",
    "|",
    "||",
    "$",
    ",,,",
    "\x00",
    "\ud800",
    "²",
    "١٢٣",
    "9" * 400,
    "1e400",
    "-0",
    "NaN",
    "Infinity",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-23:59",
    "2020-13-45",
    "Patient/",
    "Patient/../../etc/passwd",
    "http://evil.example/fhir/Patient/1",
    "urn:uuid:not-a-uuid",
    "a" * 5000,
]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)
garbage = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=8,
)


def mostly(good, bad=garbage):
    """`good` five times in six, `bad` otherwise: most inputs get past validation."""
    return st.integers(0, 5).flatmap(lambda roll: bad if roll == 0 else good)


# What a clinician might type, hostile or not: stored verbatim when FHIR allows it.
typed = st.one_of(
    st.sampled_from([n for n in NASTY if n.strip() and "\x00" not in n and "\ud800" not in n]),
    st.text(alphabet=st.characters(codec="utf-8", min_codepoint=32), min_size=1, max_size=40),
).filter(lambda value: value.strip() == value)


@st.composite
def plausible_patient(draw) -> dict:
    resource = patient(draw(typed))
    optional = [
        ("gender", mostly(st.sampled_from(["male", "female", "other", "unknown"]), text)),
        ("birthDate", mostly(st.sampled_from(["1974-12-25", "1974", "2001-02"]), text)),
        ("identifier", st.builds(lambda s, v: [{"system": s, "value": v}], typed, typed)),
        ("telecom", st.builds(lambda v: [{"system": "phone", "value": v}], typed)),
        ("active", mostly(st.booleans())),
        ("managingOrganization", st.builds(lambda r: {"reference": r}, text)),
    ]
    for key, values in optional:
        if draw(st.integers(0, 2)) == 0:
            resource[key] = draw(values)
    if draw(st.integers(0, 9)) == 0:
        resource[draw(text)] = draw(garbage)
    return resource


@st.composite
def plausible_observation(draw, subject: str) -> dict:
    resource = observation(subject, value=draw(st.floats(allow_nan=False, allow_infinity=False)))
    for key in ["status", "code", "subject", "valueQuantity", "effectiveDateTime", "component"]:
        if draw(st.integers(0, 5)) == 0:
            resource[key] = draw(garbage)
    if draw(st.booleans()):
        resource["effectiveDateTime"] = draw(st.sampled_from(["2020-01-01T10:00:00Z", *NASTY]))
    return resource


def search_pairs(resource_type: str):
    codes = [*sorted(parameters_for(resource_type)), "_count", "_offset", "_sort", "_total"]
    codes += ["_summary", "_type", "_has:Observation:patient:code", "subject.name", "x-unknown"]
    modifiers = mostly(
        st.just(""), st.sampled_from([*sorted(KNOWN_MODIFIERS), "Patient", "bogus", ":"])
    )
    prefixes = mostly(
        st.just(""), st.sampled_from(["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", "zz"])
    )

    @st.composite
    def pair(draw) -> tuple[str, str]:
        code = draw(st.sampled_from(codes))
        modifier = draw(modifiers)
        name = f"{code}:{modifier}" if modifier else code
        value = draw(prefixes) + draw(
            st.one_of(text, st.sampled_from(["2020", "5.4|http://unitsofmeasure.org|mg", "a|b"]))
        )
        return name, value

    return st.lists(pair(), max_size=5)


def only_fhir_errors(call, *args, **kwargs):
    """The call's result, or None when it failed with a FhirError (anything else fails the test).
    Outcomes are counted (`--hypothesis-show-statistics`) to show what the inputs reached."""
    try:
        result = call(*args, **kwargs)
    except FhirError as exc:
        event(f"{call.__name__}: {exc.status}")
        return None
    event(f"{call.__name__}: ok")
    return result


def without_server_fields(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if k not in ("id", "meta")}


@pytest.fixture
def chart(db) -> str:
    return FhirRepository().create(patient("Fuzz")).stored.resource_id


@FUZZ
@given(resource=plausible_patient())
def test_patients_with_garbage_fail_only_as_fhir_errors(repository, resource):
    outcome = only_fhir_errors(repository.create, resource)
    if outcome is not None:  # stored: read back exactly as written, then update and validate
        stored = repository.read("Patient", outcome.stored.resource_id)
        assert without_server_fields(stored.content) == without_server_fields(resource)
        changed = {**resource, "id": stored.resource_id, "active": False}
        only_fhir_errors(repository.update, "Patient", stored.resource_id, changed)
    only_fhir_errors(repository.check, resource, "Patient")


@FUZZ
@given(data=st.data())
def test_observations_with_garbage_fail_only_as_fhir_errors(repository, chart, data):
    resource = data.draw(plausible_observation(f"Patient/{chart}"))
    only_fhir_errors(repository.create, resource)
    query = data.draw(st.sampled_from(["identifier=a|b", "code=8480-6", "", "x=1", "_id=%"]))
    only_fhir_errors(repository.conditional_create, resource, if_none_exist=query)


@FUZZ
@given(data=st.data())
def test_random_searches_fail_only_as_fhir_errors(repository, chart, data):
    resource_type = data.draw(st.sampled_from(["Patient", "Observation"]))
    pairs = data.draw(search_pairs(resource_type))
    bundle = only_fhir_errors(repository.search_bundle, resource_type, pairs, base_url=BASE)
    if bundle is not None:
        assert bundle["resourceType"] == "Bundle"
        assert len(bundle.get("entry", [])) <= 1000  # FHIR_MAX_COUNT
    only_fhir_errors(repository.search_bundle, None, pairs, base_url=BASE, strict=True)
    only_fhir_errors(repository.compartment_search, chart, None, pairs, base_url=BASE)
    query = "&".join(f"{k}={v}" for k, v in pairs)
    only_fhir_errors(repository.conditional_delete, resource_type, query, multiple=False)


entry_url = st.one_of(
    st.sampled_from(
        ["Patient", "Patient/p1", "Patient?identifier=a|b", "Patient/p1/_history/1", "Observation"]
    ),
    st.sampled_from(["Patient/p1/_history/²", "metadata", "", "/", "Patient?", "?x=1", "$x"]),
    text,
)
entry = st.fixed_dictionaries(
    {
        "request": mostly(
            st.fixed_dictionaries(
                {
                    "method": st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
                    "url": entry_url,
                },
                optional={"ifMatch": text, "ifNoneExist": text},
            ),
            garbage,
        )
    },
    optional={
        "fullUrl": st.sampled_from(["urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427", *NASTY]),
        "resource": mostly(plausible_patient()),
    },
)


@FUZZ
@given(
    kind=st.sampled_from(["batch", "transaction"]),
    entries=st.lists(mostly(entry), max_size=4),
)
def test_random_bundles_fail_only_as_fhir_errors(repository, kind, entries):
    bundle = {"resourceType": "Bundle", "type": kind, "entry": entries}
    process = repository.batch if kind == "batch" else repository.transaction
    response = only_fhir_errors(process, bundle, base_url=BASE)
    if response is not None:
        assert response["type"] == f"{kind}-response"
        assert len(response["entry"]) == len(entries)


@FUZZ
@given(
    id_=st.one_of(st.sampled_from(NASTY), st.text(alphabet=string.printable, max_size=70)),
    version=st.one_of(st.integers(-5, 2**40), st.sampled_from([0, 2**31, 2**63])),
)
def test_random_ids_and_versions_fail_only_as_fhir_errors(repository, id_, version):
    only_fhir_errors(repository.read, "Patient", id_)
    only_fhir_errors(repository.vread, "Patient", id_, version)
    only_fhir_errors(repository.delete, "Patient", id_)
    only_fhir_errors(repository.update, "Patient", id_, patient(id=id_))
    only_fhir_errors(repository.patch, "Patient", id_, [{"op": "test"}], content_type="x")
