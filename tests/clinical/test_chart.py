"""The chart: every tab renders as a page and as an HTMX fragment, is audited, and is gated by
chart access (restricted charts send the user to break the glass)."""

import pytest
from django.urls import reverse

from clinical.chart.rendering import TABS
from clinical.chart_access.services import chart_restrict
from fhirapi.audit.models import AuditRecord
from tests.clinical import fhir_factories as f
from tests.clinical.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_chart(patient_id) -> str:
    f.create(f.condition(patient_id))
    f.create(f.medication_request(patient_id))
    f.create(f.allergy(patient_id))
    f.create(f.lab(patient_id, value=6.2))
    f.create(f.vital(patient_id))
    f.create(f.blood_pressure(patient_id, 150, 95))
    f.create(f.note(patient_id))
    f.create(f.encounter(patient_id))
    return patient_id


@pytest.mark.parametrize("tab", TABS, ids=lambda t: t.key)
def test_each_tab_renders_as_page_and_fragment(tab, full_chart, as_physician):
    url = reverse(tab.url_name, kwargs={"patient_id": full_chart})
    page = as_physician.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="chart-header"' in html and "OKAFOR, Amara" in html
    assert 'aria-current="page"' in html
    fragment = as_physician.get(url, **HTMX)
    assert fragment.status_code == 200
    assert 'id="chart-header"' not in fragment.content.decode()
    assert fragment["Vary"] == "HX-Request" or "HX-Request" in fragment["Vary"]


def test_every_chart_view_is_audited(full_chart, as_physician, physician):
    before = AuditRecord.objects.filter(patient_id=full_chart).count()
    as_physician.get(reverse("chart-vitals", kwargs={"patient_id": full_chart}))
    record = AuditRecord.objects.filter(patient_id=full_chart).order_by("-pk").first()
    assert AuditRecord.objects.filter(patient_id=full_chart).count() == before + 1
    assert record.username == physician.username and record.action == "R"
    assert "vitals" in record.content["outcomeDesc"]


def test_header_shows_allergy_states(patient_id, as_physician):
    url = reverse("chart-summary", kwargs={"patient_id": patient_id})
    assert "Allergies not recorded" in as_physician.get(url).content.decode()
    f.create(f.no_known_allergy(patient_id))
    assert "No known allergies" in as_physician.get(url).content.decode()
    f.create(f.allergy(patient_id))
    html = as_physician.get(url).content.decode()
    assert "Allergies:</strong> Penicillin" in html


def test_header_shows_active_encounter_and_mrn(patient_id, as_physician):
    f.create(f.encounter(patient_id))
    html = as_physician.get(
        reverse("chart-summary", kwargs={"patient_id": patient_id})
    ).content.decode()
    assert "Hospital admission" in html
    assert "MRN" in html


def test_restricted_chart_sends_outsiders_to_break_the_glass(
    patient_id, administrator, nurse, signed_in
):
    chart_restrict(patient_id=patient_id, acting_user=administrator, care_team=[])
    url = reverse("chart-summary", kwargs={"patient_id": patient_id})
    response = signed_in(nurse).get(url)
    assert response.status_code == 302
    assert reverse("break-glass", kwargs={"patient_id": patient_id}) in response["Location"]
    htmx = signed_in(nurse).get(url, **HTMX)
    assert "break-glass" in htmx["HX-Redirect"]
    refused = AuditRecord.objects.filter(patient_id=patient_id, outcome="4")
    assert refused.exists()


def test_care_team_sees_the_restricted_marker(patient_id, administrator, physician, as_physician):
    chart_restrict(patient_id=patient_id, acting_user=administrator, care_team=[physician])
    html = as_physician.get(
        reverse("chart-summary", kwargs={"patient_id": patient_id})
    ).content.decode()
    assert "Restricted record" in html


def test_unknown_patient_is_404(as_physician, db):
    assert (
        as_physician.get(reverse("chart-summary", kwargs={"patient_id": "nobody"})).status_code
        == 404
    )


def test_front_desk_cannot_open_charts(patient_id, as_front_desk):
    assert (
        as_front_desk.get(reverse("chart-summary", kwargs={"patient_id": patient_id})).status_code
        == 403
    )


def test_pharmacist_reads_but_sees_no_write_controls(full_chart, as_pharmacist):
    for name in ("chart-vitals", "chart-orders", "chart-problems", "chart-medications"):
        url = reverse(name, kwargs={"patient_id": full_chart})
        panel = as_pharmacist.get(url, **HTMX).content.decode()
        assert 'method="post"' not in panel, name


def test_timeline_lists_events_and_filters_by_type(full_chart, as_physician):
    url = reverse("chart-timeline", kwargs={"patient_id": full_chart})
    html = as_physician.get(url).content.decode()
    assert "Warfarin" in html and "Potassium" in html and "Progress note" in html
    only_labs = as_physician.get(url, {"types": "results"}).content.decode()
    assert "Potassium" in only_labs and "Warfarin" not in only_labs
    future = as_physician.get(url, {"until": "2000-01-01"}).content.decode()
    assert "No events match" in future
    bad = as_physician.get(url, {"since": "2026-02-01", "until": "2025-01-01"}).content.decode()
    assert "end date is before" in bad


def test_timeline_pages_without_false_gaps(patient_id, as_physician, monkeypatch):
    monkeypatch.setattr("clinical.chart.timeline.PER_TYPE_MAX", 2)
    for day in (3, 4, 5):
        f.create(f.lab(patient_id, value=4.0 + day / 10, when=f.NOW.replace(day=day)))
    f.create(f.note(patient_id, "older note", f.NOW.replace(day=1)))
    url = reverse("chart-timeline", kwargs={"patient_id": patient_id})
    first = as_physician.get(url, **HTMX).content.decode()
    assert "4.5 mmol/L" in first and "4.4 mmol/L" in first
    assert "4.3 mmol/L" not in first and "Progress note" not in first  # beyond the horizon
    older = first.split('hx-get="')[-1].split('"')[0].replace("&amp;", "&")
    second = as_physician.get(older, **HTMX).content.decode()
    assert "4.3 mmol/L" in second and "Progress note" in second and "4.5 mmol/L" not in second
