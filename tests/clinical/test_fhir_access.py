"""The FHIR API under each person's rights (clinical/fhir/access.py): the role matrix, and
restricted charts closed outside their care team until the glass is broken, for REST requests
(session, script token) and the in-process repository alike."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from clinical.chart_access.services import break_glass, chart_restrict
from clinical.fhir.access import FHIR_RIGHTS
from clinical.fhir.reads import repository_for
from clinical.roles import ROLES
from fhirapi.audit.models import AuditRecord
from fhirapi.services import FhirRepository
from tests.clinical import fhir_factories as f
from tests.fhirapi.conftest import FhirClient

pytestmark = pytest.mark.django_db

REASON = "Patient in resus, care team unreachable"
POTASSIUM = "2823-3"
SODIUM = "2951-2"


def api(user) -> FhirClient:
    client = FhirClient()
    client.force_authenticate(user)
    return client


def ids(bundle: dict, resource_type: str) -> set[str]:
    return {
        e["resource"]["id"]
        for e in bundle.get("entry", [])
        if e["resource"]["resourceType"] == resource_type
    }


def forbidden(response) -> bool:
    """403 with an OperationOutcome naming the refused type as the issue's location."""
    body = response.json()
    return (
        response.status_code == 403
        and body["resourceType"] == "OperationOutcome"
        and body["issue"][0]["code"] == "forbidden"
        and bool(body["issue"][0].get("expression"))
    )


@pytest.fixture
def practitioner() -> str:
    return f.create({"resourceType": "Practitioner", "name": [{"family": "Shared"}]})


@pytest.fixture
def charts(administrator, physician, practitioner) -> dict[str, str]:
    """An open chart and a chart restricted to the physician, each with a lab result by the
    same practitioner (potassium on the open one, sodium on the restricted one)."""
    made = {}
    for name, code in (("open", POTASSIUM), ("restricted", SODIUM)):
        patient_id = f.create(f.patient(family=name.upper()))
        lab = f.lab(patient_id, code=code)
        lab["performer"] = [{"reference": f"Practitioner/{practitioner}"}]
        made[name] = patient_id
        made[f"{name}-lab"] = f.create(lab)
    chart_restrict(patient_id=made["restricted"], acting_user=administrator, care_team=[physician])
    return made


def test_every_role_has_a_row_in_the_matrix():
    assert {role.name for role in ROLES} == set(FHIR_RIGHTS)


# -- restricted charts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "Patient/{restricted}",
        "Patient/{restricted}/_history/1",
        "Patient/{restricted}/_history",
        "Patient/{restricted}/$everything",
        "Observation/{restricted-lab}",
        "Observation/{restricted-lab}/_history/1",
        "Observation/{restricted-lab}/_history",
    ],
)
def test_a_closed_chart_is_refused_to_reads(charts, nurse, path):
    response = api(nurse).get("/fhir/" + path.format(**charts))
    assert forbidden(response), response.content[:300]
    assert "RESTRICTED" not in response.content.decode() and SODIUM not in response.content.decode()


def test_the_care_team_reads_the_restricted_chart(charts, physician):
    client = api(physician)
    assert client.get(f"/fhir/Patient/{charts['restricted']}").status_code == 200
    everything = client.get(f"/fhir/Patient/{charts['restricted']}/$everything").json()
    assert ids(everything, "Observation") == {charts["restricted-lab"]}


def test_searches_leave_a_closed_chart_out(charts, nurse, physician, practitioner):
    client = api(nurse)
    found = client.get("/fhir/Observation?_count=100").json()
    assert charts["open-lab"] in ids(found, "Observation")
    assert charts["restricted-lab"] not in ids(found, "Observation")
    assert found["total"] == len(ids(found, "Observation"))
    patients = client.get(f"/fhir/Patient?_id={charts['open']},{charts['restricted']}").json()
    assert ids(patients, "Patient") == {charts["open"]}
    revincluded = client.get(
        f"/fhir/Practitioner?_id={practitioner}&_revinclude=Observation:performer"
    ).json()
    assert ids(revincluded, "Observation") == {charts["open-lab"]}
    included = client.get(
        f"/fhir/Observation?performer={practitioner}&_include=Observation:subject"
    ).json()
    assert ids(included, "Patient") == {charts["open"]}
    has_sodium = f"/fhir/Practitioner?_has:Observation:performer:code={SODIUM}"
    assert ids(client.get(has_sodium).json(), "Practitioner") == set()
    assert ids(api(physician).get(has_sodium).json(), "Practitioner") == {practitioner}
    compartment = client.get(f"/fhir/Patient/{charts['restricted']}/Observation").json()
    assert ids(compartment, "Observation") == set()
    history = client.get("/fhir/Observation/_history?_count=100").json()
    assert charts["restricted-lab"] not in ids(history, "Observation")
    assert charts["open-lab"] in ids(history, "Observation")


def test_a_closed_chart_refuses_writes(charts, nurse):
    response = api(nurse).fhir("POST", "/fhir/Observation", f.vital(charts["restricted"]))
    assert forbidden(response)
    assert api(nurse).delete(f"/fhir/Observation/{charts['restricted-lab']}").status_code == 403
    assert FhirRepository().read("Observation", charts["restricted-lab"]).content


def test_breaking_the_glass_opens_the_api_for_the_same_while(charts, nurse):
    path = f"/fhir/Observation/{charts['restricted-lab']}"
    assert api(nurse).get(path).status_code == 403
    break_glass(user=nurse, patient_id=charts["restricted"], reason=REASON)
    assert api(nurse).get(path).status_code == 200
    found = api(nurse).get(f"/fhir/Observation?subject=Patient/{charts['restricted']}").json()
    assert ids(found, "Observation") == {charts["restricted-lab"]}


def test_refusals_are_audited(charts, nurse):
    api(nurse).get(f"/fhir/Patient/{charts['restricted']}")
    record = AuditRecord.objects.filter(username=nurse.username, resource_type="Patient").last()
    assert record is not None
    assert (record.resource_id, record.outcome) == (charts["restricted"], "4")


def test_the_workspace_repository_inherits_the_rule(charts, nurse):
    bundle = repository_for(nurse).search_bundle(
        "Observation", [("_count", "100")], base_url="http://testserver/fhir"
    )
    assert charts["restricted-lab"] not in ids(bundle, "Observation")


def test_the_system_still_sees_everything(charts):
    bundle = FhirRepository().search_bundle(
        "Observation", [("_count", "100")], base_url="http://testserver/fhir"
    )
    assert {charts["open-lab"], charts["restricted-lab"]} <= ids(bundle, "Observation")


def test_the_finder_still_lists_a_closed_chart(charts, nurse, signed_in):
    html = signed_in(nurse).get("/patients/?q=restricted").content.decode()
    assert charts["restricted"] in html


# -- the role matrix ----------------------------------------------------------------------------

MATRIX = [
    # (role, method, path, body maker, allowed)
    ("front_desk", "GET", "Patient/{open}", None, True),
    ("front_desk", "GET", "Appointment", None, True),
    ("front_desk", "POST", "Patient", lambda c: f.patient(family="NEW"), True),
    ("front_desk", "GET", "Observation/{open-lab}", None, False),
    ("front_desk", "GET", "Observation", None, False),
    ("front_desk", "GET", "?_type=Observation", None, False),
    ("front_desk", "GET", "Patient?_has:Observation:patient:code=2823-3", None, False),
    ("front_desk", "GET", "Patient/{open}/$everything", None, False),
    ("front_desk", "POST", "Observation", lambda c: f.vital(c["open"]), False),
    ("nurse", "GET", "MedicationRequest", None, True),
    ("nurse", "POST", "Observation", lambda c: f.vital(c["open"]), True),
    ("nurse", "POST", "MedicationRequest", lambda c: f.medication_request(c["open"]), False),
    ("pharmacist", "GET", "Observation/{open-lab}", None, True),
    ("pharmacist", "POST", "MedicationRequest", lambda c: f.medication_request(c["open"]), True),
    ("pharmacist", "POST", "Observation", lambda c: f.vital(c["open"]), False),
    ("pharmacist", "DELETE", "Observation/{open-lab}", None, False),
    ("physician", "POST", "MedicationRequest", lambda c: f.medication_request(c["open"]), True),
    ("physician", "DELETE", "Observation/{open-lab}", None, True),
    ("physician", "POST", "Subscription", lambda c: SUBSCRIPTION, False),
    ("administrator", "POST", "Observation", lambda c: f.vital(c["open"]), True),
    ("administrator", "GET", "Observation/_history", None, True),
    ("outsider", "GET", "Patient/{open}", None, False),
    ("outsider", "GET", "Practitioner", None, False),
]
SUBSCRIPTION = {
    "resourceType": "Subscription",
    "status": "off",
    "reason": "test",
    "criteria": "Observation?code=2823-3",
    "channel": {"type": "rest-hook", "endpoint": "http://127.0.0.1:9/hook"},
}


@pytest.mark.parametrize(("role", "method", "path", "body", "allowed"), MATRIX)
def test_each_role_may_do_what_its_row_says(request, charts, role, method, path, body, allowed):
    user = request.getfixturevalue(role)
    response = api(user).fhir(
        method, "/fhir/" + path.format(**charts), body(charts) if body else None
    )
    if allowed:
        assert response.status_code < 300, response.content[:300]
    else:
        assert forbidden(response), response.content[:300]


def test_included_resources_of_types_the_role_may_not_read_are_left_out(charts, front_desk):
    bundle = (
        api(front_desk)
        .get(f"/fhir/Patient?_id={charts['open']}&_revinclude=Observation:subject")
        .json()
    )
    assert ids(bundle, "Patient") == {charts["open"]}
    assert ids(bundle, "Observation") == set()


def test_a_session_and_a_script_token_get_the_same_rights(charts, front_desk):
    session = Client()
    session.force_login(front_desk)
    assert session.get(f"/fhir/Observation/{charts['open-lab']}").status_code == 403
    assert session.get(f"/fhir/Patient/{charts['open']}").status_code == 200
    token = Token.objects.create(user=front_desk).key
    script = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert script.get(f"/fhir/Observation/{charts['open-lab']}").status_code == 403
    assert script.get(f"/fhir/Patient/{charts['open']}").status_code == 200
