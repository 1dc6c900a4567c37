"""A patient's access log on the chart, and the audit viewer in the admin filtered by user, patient
and date."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinical.chart_access.services import chart_restrict
from fhirapi.audit.events import LOGIN
from fhirapi.audit.services import audit_record
from tests.clinical import fhir_factories as f
from tests.fhirapi.conftest import FhirClient

pytestmark = pytest.mark.django_db


def test_the_chart_shows_who_accessed_it(signed_in, physician, nurse, administrator, patient_id):
    other = f.create(f.patient(family="Other"))
    chart_restrict(patient_id=patient_id, acting_user=administrator, care_team=[physician])
    refused = FhirClient()
    refused.force_authenticate(nurse)
    assert refused.get(f"/fhir/Patient/{patient_id}").status_code == 403
    audit_record(kind=LOGIN, username="someone-elsewhere", patient_id=other)
    response = signed_in(physician).get(f"/chart/{patient_id}/access-log/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="access-log"' in html
    assert physician.username in html  # opening the chart is itself recorded
    assert nurse.username in html  # the refused API read, with its outcome
    assert "Minor Failure" in html
    assert "someone-elsewhere" not in html  # another patient's trail


def test_the_access_log_is_a_tab_swapped_by_htmx(signed_in, physician, patient_id):
    client = signed_in(physician)
    page = client.get(f"/chart/{patient_id}/").content.decode()
    assert f"/chart/{patient_id}/access-log/" in page
    fragment = client.get(
        f"/chart/{patient_id}/access-log/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="chart-body",
    ).content.decode()
    assert 'id="access-log"' in fragment and "<html" not in fragment


def test_the_access_log_is_closed_to_whoever_may_not_open_the_chart(
    signed_in, front_desk, patient_id
):
    assert signed_in(front_desk).get(f"/chart/{patient_id}/access-log/").status_code == 403


def test_the_admin_viewer_filters_by_date(signed_in, administrator):
    audit_record(kind=LOGIN, username="someone-today", patient_id="p-9")
    client = signed_in(administrator)
    day = "/admin/audit/auditrecord/?recorded_at__year={:%Y}&recorded_at__month={:%m}"
    day += "&recorded_at__day={:%d}&patient_id=p-9"
    today = timezone.localdate()
    listing = client.get(day.format(today, today, today))
    assert listing.status_code == 200 and "someone-today" in listing.text
    yesterday = today - timedelta(days=1)
    earlier = client.get(day.format(yesterday, yesterday, yesterday))
    assert earlier.status_code == 200 and "someone-today" not in earlier.text
