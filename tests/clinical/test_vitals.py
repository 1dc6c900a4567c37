"""Vital signs: server validation, the Observations written (LOINC, UCUM, vital-signs), the
trend charts and their text alternatives, and who may record them."""

import pytest
from django.urls import reverse

from clinical.vitals.charts import trend_chart
from clinical.vitals.definitions import DIASTOLIC, SYSTOLIC
from clinical.vitals.forms import VitalsForm
from clinical.vitals.selectors import patient_vitals
from clinical.vitals.services import vitals_record
from fhirapi.audit.models import AuditRecord
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX

pytestmark = pytest.mark.django_db


def form_errors(data: dict) -> dict:
    form = VitalsForm(data)
    form.is_valid()
    return form.errors


def test_implausible_values_are_refused():
    errors = form_errors({"heart_rate": "400", "temperature": "25", "spo2": "101"})
    assert "not plausible" in errors["heart_rate"][0]
    assert "temperature" in errors and "spo2" in errors


def test_blood_pressure_needs_both_and_systolic_above_diastolic():
    assert "both systolic and diastolic" in form_errors({"systolic": "120"})["diastolic"][0]
    assert (
        "lower than systolic" in form_errors({"systolic": "80", "diastolic": "90"})["diastolic"][0]
    )


def test_an_empty_set_and_a_future_time_are_refused():
    assert "at least one" in form_errors({})["__all__"][0]
    assert (
        "future" in form_errors({"heart_rate": "70", "taken_at": "2999-01-01T10:00"})["taken_at"][0]
    )


def test_recording_writes_coded_observations_in_one_transaction(patient_id, nurse):
    from django.utils import timezone

    refs = vitals_record(
        patient_id=patient_id,
        values={
            "systolic": 150,
            "diastolic": 95,
            "heart_rate": 88,
            "weight": 80,
            "height": 180,
            "spo2": 97,
        },
        taken_at=timezone.now(),
        encounter_id=None,
        acting_user=nurse,
    )
    assert len(refs) == 6  # BP panel, heart rate, SpO2, weight, height and the derived BMI
    found = {o["code"]["coding"][0]["code"]: o for o in _observations(patient_id)}
    bp = found["85354-9"]
    assert bp["category"][0]["coding"][0]["code"] == "vital-signs"
    assert [c["valueQuantity"]["code"] for c in bp["component"]] == ["mm[Hg]", "mm[Hg]"]
    assert bp["interpretation"][0]["coding"][0]["code"] == "H"
    assert found["8867-4"]["valueQuantity"] == {
        "value": 88,
        "unit": "/min",
        "system": "http://unitsofmeasure.org",
        "code": "/min",
    }
    bmi = found["39156-5"]
    assert bmi["valueQuantity"]["value"] == 24.7 and bmi["valueQuantity"]["code"] == "kg/m2"
    assert {d["reference"].split("/")[0] for d in bmi["derivedFrom"]} == {"Observation"}
    assert found["29463-7"]["performer"][0]["reference"] == f"Practitioner/wintehr-user-{nurse.pk}"
    assert AuditRecord.objects.filter(patient_id=patient_id, action="C").count() == len(refs)


def _observations(patient_id: str) -> list[dict]:
    from fhirapi.services import FhirRepository

    bundle = FhirRepository().search_bundle(
        "Observation", [("patient", patient_id), ("_count", "50")], base_url=""
    )
    return [e["resource"] for e in bundle.get("entry", [])]


def test_nurse_records_through_the_tab_and_the_trend_updates(patient_id, as_nurse):
    url = reverse("chart-vitals", kwargs={"patient_id": patient_id})
    f.create(f.blood_pressure(patient_id, 118, 76, f.NOW))
    response = as_nurse.post(
        url, {"systolic": "142", "diastolic": "91", "heart_rate": "77"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Vital signs recorded." in html
    assert response["HX-Replace-Url"] == url
    assert "Blood pressure. Systolic: latest 142 mmHg" in html
    assert "2 readings from 118 to 142" in html


def test_invalid_post_rerenders_with_errors_and_writes_nothing(patient_id, as_nurse):
    url = reverse("chart-vitals", kwargs={"patient_id": patient_id})
    html = as_nurse.post(url, {"heart_rate": "999"}, **HTMX).content.decode()
    assert "not plausible" in html and 'aria-invalid="true"' in html
    assert _observations(patient_id) == []


def test_plain_post_redirects(patient_id, as_nurse):
    url = reverse("chart-vitals", kwargs={"patient_id": patient_id})
    assert as_nurse.post(url, {"heart_rate": "70"})["Location"] == url


def test_pharmacist_and_front_desk_cannot_record(patient_id, as_pharmacist, as_front_desk):
    url = reverse("chart-vitals", kwargs={"patient_id": patient_id})
    assert as_pharmacist.post(url, {"heart_rate": "70"}).status_code == 403
    assert as_front_desk.post(url, {"heart_rate": "70"}).status_code == 403
    assert _observations(patient_id) == []


def test_trend_chart_geometry_band_and_summary(patient_id, physician):
    for day, (s, d) in enumerate([(120, 80), (160, 100), (140, 90)]):
        f.create(f.blood_pressure(patient_id, s, d, f.NOW.replace(day=day + 1)))
    vitals = patient_vitals(user=physician, patient_id=patient_id)
    chart = trend_chart(
        "Blood pressure",
        (SYSTOLIC, DIASTOLIC),
        {k.key: vitals.series(k) for k in (SYSTOLIC, DIASTOLIC)},
    )
    systolic = chart.series[0].points
    assert [p.value for p in systolic] == [120, 160, 140]
    assert systolic[0].x < systolic[1].x < systolic[2].x
    assert systolic[1].y < systolic[2].y < systolic[0].y  # higher value, higher on screen
    assert len(chart.bands) == 2
    assert (
        "3 readings from 120 to 160; 1 outside the usual range 90\N{EN DASH}140 mmHg"
        in chart.summary
    )
