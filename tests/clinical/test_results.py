"""Results: grouped by panel, flags and ranges, trends, acknowledgement (the ordering
clinician; the extension cds/ reads), and the inbox."""

import pytest
from django.urls import reverse

from cds.services.critical_results import is_acknowledged
from clinical.fhir.practitioners import practitioner_ensure
from clinical.results.inbox import results_inbox
from fhirapi.services import FhirRepository
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(patient_id) -> list[str]:
    ids = [
        f.create(f.lab(patient_id, value=6.4, flag="HH")),
        f.create(f.lab(patient_id, code="2951-2", display="Sodium", value=139, low=136, high=145)),
    ]
    f.create(f.report(patient_id, ids))
    return ids


def test_results_grouped_by_report_with_flags_and_ranges(patient_id, panel, as_physician):
    f.create(
        f.lab(
            patient_id,
            code="718-7",
            display="Hemoglobin",
            value=9.1,
            unit="g/dL",
            low=12,
            high=17.5,
            when=f.NOW.replace(month=1),
        )
    )
    html = as_physician.get(
        reverse("chart-results", kwargs={"patient_id": patient_id}), **HTMX
    ).content.decode()
    assert "Basic metabolic panel" in html and "1 abnormal" in html
    assert "Critical" in html and "3.5\N{EN DASH}5.1 mmol/L" in html
    assert "Results of 2026-01-01" in html and "Hemoglobin" in html
    assert html.index("Basic metabolic panel") < html.index("Hemoglobin")


def test_trend_per_analyte(patient_id, as_physician):
    for month, value in ((1, 3.9), (2, 4.6), (3, 5.6)):
        f.create(f.lab(patient_id, value=value, when=f.NOW.replace(month=month)))
    html = as_physician.get(
        reverse("chart-result-trend", kwargs={"patient_id": patient_id, "code": "2823-3"}), **HTMX
    ).content.decode()
    assert (
        "<svg" in html
        and "3 readings from 3.9 to 5.6" in html
        and "usual range 3.5\N{EN DASH}5.1" in html
    )


def test_acknowledge_writes_the_shared_extension(patient_id, panel, physician, as_physician):
    url = reverse(
        "chart-result-acknowledge", kwargs={"patient_id": patient_id, "observation_id": panel[0]}
    )
    html = as_physician.post(url, **HTMX).content.decode()
    assert "Result acknowledged." in html
    observation = FhirRepository().read("Observation", panel[0]).content
    assert is_acknowledged(observation)
    by = next(p for p in observation["extension"][0]["extension"] if p["url"] == "by")
    assert by["valueReference"]["reference"] == f"Practitioner/wintehr-user-{physician.pk}"
    again = as_physician.post(url, **HTMX).content.decode()
    assert "already acknowledged" in again


def test_only_the_ordering_clinician_acknowledges(patient_id, physician, signed_in, db):
    from tests.conftest import _member

    colleague = _member("dr-wilson", "physician")
    practitioner_ensure(user=colleague, repository=FhirRepository())
    order = f.create(
        f.service_request(patient_id, requester=f"Practitioner/wintehr-user-{colleague.pk}")
    )
    result = f.create(f.lab(patient_id, value=6.0, based_on=f"ServiceRequest/{order}"))
    url = reverse(
        "chart-result-acknowledge", kwargs={"patient_id": patient_id, "observation_id": result}
    )
    refused = signed_in(physician).post(url, **HTMX).content.decode()
    assert "Only the clinician who ordered" in refused
    assert "Result acknowledged." in signed_in(colleague).post(url, **HTMX).content.decode()


def test_nurses_cannot_acknowledge(patient_id, panel, as_nurse):
    url = reverse(
        "chart-result-acknowledge", kwargs={"patient_id": patient_id, "observation_id": panel[0]}
    )
    assert as_nurse.post(url).status_code == 403


def test_inbox_lists_my_patients_new_results_abnormal_first(patient_id, physician, as_physician):
    practitioner_ensure(user=physician, repository=FhirRepository())
    me = f"Practitioner/wintehr-user-{physician.pk}"
    from django.utils import timezone

    recent = timezone.now().replace(microsecond=0)
    f.create(f.service_request(patient_id, requester=me))
    normal = f.create(f.lab(patient_id, value=4.0, when=recent))
    high = f.create(
        f.lab(patient_id, value=5.9, when=recent.replace(year=recent.year - 1) if False else recent)
    )
    stranger = f.create(f.patient("Stranger"))
    f.create(f.lab(stranger, value=7.0, when=recent))
    items = results_inbox(user=physician)
    assert [i.result.observation_id for i in items] == [high, normal]
    html = as_physician.get(reverse("results-inbox")).content.decode()
    assert "OKAFOR, Amara" in html and "Stranger" not in html


def test_results_page_by_date(patient_id, as_physician, monkeypatch):
    monkeypatch.setattr("clinical.results.selectors.RESULTS_PAGE", 2)
    for day in (1, 2, 3):
        f.create(f.lab(patient_id, value=4.0 + day / 10, when=f.NOW.replace(day=day)))
    url = reverse("chart-results", kwargs={"patient_id": patient_id})
    first = as_physician.get(url, **HTMX).content.decode()
    assert "4.3 mmol/L" in first and "4.2 mmol/L" in first and "4.1 mmol/L" not in first
    older = (
        first.split("Older results")[0].split('hx-get="')[-1].split('"')[0].replace("&amp;", "&")
    )
    second = as_physician.get(older, **HTMX).content.decode()
    assert "4.1 mmol/L" in second and "4.3 mmol/L" not in second and "Newest results" in second
