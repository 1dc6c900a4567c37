"""Problems: add coded from the catalog, edit (with version check), resolve."""

import pytest
from django.urls import reverse

from clinical.problems.forms import ProblemForm
from fhirapi.services import FhirRepository
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX

pytestmark = pytest.mark.django_db
HYPERTENSION = "http://snomed.info/sct|59621000|Essential hypertension"


def conditions(patient_id: str) -> list[dict]:
    bundle = FhirRepository().search_bundle("Condition", [("patient", patient_id)], base_url="")
    return [e["resource"] for e in bundle.get("entry", [])]


def test_form_errors():
    form = ProblemForm(
        {
            "code": "http://loinc.org|1-1|not a problem system",
            "clinical_status": "active",
            "verification": "confirmed",
            "onset": "2999-01-01",
        }
    )
    assert not form.is_valid()
    assert "Choose one from the list." in form.errors["code"][0]
    assert "future" in form.errors["onset"][0]


def test_add_writes_a_coded_problem_with_icd10(patient_id, as_nurse):
    url = reverse("chart-problems", kwargs={"patient_id": patient_id})
    html = as_nurse.post(
        url,
        {
            "code": HYPERTENSION,
            "onset": "2020-05-01",
            "clinical_status": "active",
            "verification": "confirmed",
            "note": "home readings",
        },
        **HTMX,
    ).content.decode()
    assert "Problem added: Essential hypertension." in html
    [condition] = conditions(patient_id)
    assert condition["code"]["coding"] == [
        {
            "system": "http://snomed.info/sct",
            "code": "59621000",
            "display": "Essential hypertension",
        },
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10"},
    ]
    assert condition["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert (
        condition["onsetDateTime"] == "2020-05-01"
        and condition["note"][0]["text"] == "home readings"
    )


def test_edit_and_resolve(patient_id, as_physician):
    condition_id = f.create(f.condition(patient_id))
    edit = reverse(
        "chart-problem-edit", kwargs={"patient_id": patient_id, "condition_id": condition_id}
    )
    form = as_physician.get(edit, **HTMX).content.decode()
    assert "Edit problem: Diabetes mellitus type 2" in form
    as_physician.post(
        edit, {"clinical_status": "active", "verification": "provisional", "version": "1"}, **HTMX
    )
    [condition] = conditions(patient_id)
    assert condition["verificationStatus"]["coding"][0]["code"] == "provisional"
    assert condition["code"]["text"] == "Diabetes mellitus type 2"  # kept
    stale = as_physician.post(
        edit, {"clinical_status": "active", "verification": "confirmed", "version": "1"}, **HTMX
    ).content.decode()
    assert "Someone changed this problem meanwhile" in stale
    resolve = reverse(
        "chart-problem-resolve", kwargs={"patient_id": patient_id, "condition_id": condition_id}
    )
    as_physician.post(resolve, {"resolved_on": "2026-02-01"}, **HTMX)
    [condition] = conditions(patient_id)
    assert condition["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert condition["abatementDateTime"] == "2026-02-01"


def test_pharmacist_cannot_edit_the_problem_list(patient_id, as_pharmacist):
    url = reverse("chart-problems", kwargs={"patient_id": patient_id})
    assert as_pharmacist.post(url, {"code": HYPERTENSION}).status_code == 403
