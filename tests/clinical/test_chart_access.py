"""Restricted charts: the care team opens them, others may break the glass (audited, for a
while), the rest are refused."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clinical.chart_access.models import GlassBreak
from clinical.chart_access.selectors import ChartDecision, chart_access_check
from clinical.chart_access.services import break_glass, chart_restrict
from fhirapi.audit.models import AuditRecord
from fhirapi.errors import ResourceNotFound
from fhirapi.services import FhirRepository
from tests.fhirapi.conftest import patient

pytestmark = pytest.mark.django_db

REASON = "Patient in resus, care team unreachable"


@pytest.fixture
def chart(db) -> str:
    return FhirRepository().create(patient()).stored.resource_id


@pytest.fixture
def restricted(chart, administrator, physician) -> str:
    chart_restrict(patient_id=chart, acting_user=administrator, care_team=[physician])
    return chart


def decision(user, patient_id: str) -> ChartDecision:
    return chart_access_check(user=user, patient_id=patient_id).decision


def test_an_open_chart_is_for_the_clinical_roles(chart, physician, nurse, pharmacist, front_desk):
    assert decision(physician, chart) == ChartDecision.ALLOWED
    assert decision(nurse, chart) == ChartDecision.ALLOWED
    assert decision(pharmacist, chart) == ChartDecision.ALLOWED
    assert decision(front_desk, chart) == ChartDecision.FORBIDDEN


def test_a_restricted_chart_is_for_its_care_team(
    restricted, physician, nurse, pharmacist, outsider
):
    access = chart_access_check(user=physician, patient_id=restricted)
    assert access.allowed and access.restricted
    assert decision(nurse, restricted) == ChartDecision.NEEDS_GLASS
    assert decision(pharmacist, restricted) == ChartDecision.FORBIDDEN  # may not break the glass
    assert decision(outsider, restricted) == ChartDecision.FORBIDDEN


def test_restricting_is_audited_and_sets_the_team_exactly(
    restricted, administrator, physician, nurse
):
    record = AuditRecord.objects.get(subtype="care-team-change")
    assert (record.username, record.patient_id) == (administrator.username, restricted)
    assert physician.username in record.content["outcomeDesc"]
    chart_restrict(patient_id=restricted, acting_user=administrator, care_team=[nurse])
    assert decision(nurse, restricted) == ChartDecision.ALLOWED
    assert decision(physician, restricted) == ChartDecision.NEEDS_GLASS


def test_only_the_admin_role_restricts(chart, physician):
    with pytest.raises(PermissionDenied):
        chart_restrict(patient_id=chart, acting_user=physician, care_team=[physician])


def test_restricting_an_unknown_chart_fails(administrator):
    with pytest.raises(ResourceNotFound):
        chart_restrict(patient_id="no-such-patient", acting_user=administrator, care_team=[])


def test_breaking_the_glass_opens_the_chart_for_a_while(restricted, nurse):
    glass = break_glass(user=nurse, patient_id=restricted, reason=REASON)
    access = chart_access_check(user=nurse, patient_id=restricted)
    assert access.allowed
    assert access.glass_expires_at == glass.expires_at
    assert glass.expires_at - glass.broken_at == timedelta(minutes=60)
    record = AuditRecord.objects.get(subtype="break-glass")
    assert (record.username, record.patient_id, record.outcome) == (nurse.username, restricted, "0")
    assert record.content["purposeOfEvent"][0]["text"] == REASON
    assert record.content["purposeOfEvent"][0]["coding"][0]["code"] == "BTG"
    GlassBreak.objects.filter(pk=glass.pk).update(expires_at=timezone.now())
    assert decision(nurse, restricted) == ChartDecision.NEEDS_GLASS


def test_breaking_the_glass_needs_a_reason(restricted, nurse):
    with pytest.raises(ValidationError):
        break_glass(user=nurse, patient_id=restricted, reason="   because ")
    assert not GlassBreak.objects.exists()


def test_a_refused_break_is_audited(restricted, pharmacist):
    with pytest.raises(PermissionDenied):
        break_glass(user=pharmacist, patient_id=restricted, reason=REASON)
    record = AuditRecord.objects.get(subtype="break-glass")
    assert (record.username, record.outcome) == (pharmacist.username, "4")
    assert not GlassBreak.objects.exists()


def test_the_break_glass_page(restricted, signed_in, nurse, front_desk, administrator):
    url = f"/charts/{restricted}/break-glass/?next=/accounts/"
    client = signed_in(nurse)
    assert "Break the glass" in client.get(url).text
    short = client.post(url, {"reason": "why"})
    assert short.status_code == 200
    assert not GlassBreak.objects.exists()
    opened = client.post(url, {"reason": REASON})
    assert opened.status_code == 302
    assert opened["Location"] == "/accounts/"
    assert client.get(url)["Location"] == "/accounts/"  # open now: nothing to break
    assert signed_in(front_desk).get(url).status_code == 403
    glass_list = signed_in(administrator).get("/admin/clinical/glassbreak/")
    assert glass_list.status_code == 200
    assert REASON in glass_list.text


def test_the_break_glass_page_will_not_redirect_off_site(restricted, signed_in, nurse):
    url = f"/charts/{restricted}/break-glass/?next=https://evil.example/"
    response = signed_in(nurse).post(url, {"reason": REASON})
    assert response["Location"] == "/accounts/"
