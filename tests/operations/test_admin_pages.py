"""The admin as the administrator's home: each page shows the admin role its data, and refuses
everyone else (a clinician, and staff without the admin role)."""

import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from oauth2_provider.models import get_application_model

from cds.models import CdsClient, ExternalCdsService, Rule, RuleVersion
from clinical.chart_access.models import GlassBreak, RestrictedChart
from fhirapi.audit.events import LOGIN
from fhirapi.audit.models import AuditRecord
from fhirapi.audit.services import audit_record
from fhirapi.bulk.models import ExportJob, ImportJob, JobStatus

pytestmark = pytest.mark.django_db


def _users(cast):
    return "dr-house"


def _roles(cast):
    return "pharmacist"


def _role_policies(cast):
    return "front-desk"


def _second_factors(cast):
    TOTPDevice.objects.create(user=cast["physician"], name="ward phone", confirmed=True)
    return "ward phone"


def _locked_accounts(cast):
    AccessAttempt.objects.create(
        username="locked-lou", ip_address="192.0.2.44", user_agent="t", failures_since_start=9
    )
    return "192.0.2.44"


def _glass_breaks(cast):
    now = timezone.now()
    GlassBreak.objects.create(
        user=cast["physician"],
        patient_id="p-broken",
        reason="unconscious in the ED",
        broken_at=now,
        expires_at=now + timedelta(hours=1),
    )
    return "unconscious in the ED"


def _restricted_charts(cast):
    RestrictedChart.objects.create(
        patient_id="p-vip-1", restricted_by=cast["administrator"], restricted_at=timezone.now()
    )
    return "p-vip-1"


def _smart_apps(cast):
    get_application_model().objects.create(
        name="Growth charts app",
        client_type="public",
        authorization_grant_type="authorization-code",
        redirect_uris="https://growth.example/callback",
    )
    return "Growth charts app"


def _cds_clients(cast):
    CdsClient.objects.create(name="Sandbox EHR", issuer="https://sandbox.example", jwks={})
    return "https://sandbox.example"


def _external_services(cast):
    ExternalCdsService.objects.create(title="Outside DDI", base_url="https://ddi.example/cds")
    return "Outside DDI"


def _cds_rules(cast):
    rule = Rule.objects.create(slug="metformin-in-ckd")
    RuleVersion.objects.create(
        rule=rule,
        number=1,
        title="Metformin in CKD",
        description="warn",
        hook="patient-view",
        conditions=[],
        card={"summary": "x", "indicator": "warning"},
    )
    return "metformin-in-ckd"


def _import_jobs(cast):
    ImportJob.objects.create(
        owner=cast["administrator"],
        paths=["/imports/patients.ndjson"],
        status=JobStatus.RUNNING,
        bytes_total=2000,
        bytes_done=500,
        current_file="patients.ndjson",
    )
    return "25%"


def _export_jobs(cast):
    ExportJob.objects.create(
        owner=cast["administrator"],
        request_url="http://testserver/fhir/$export",
        base_url="http://testserver/fhir",
        level="system",
        status=JobStatus.RUNNING,
        transaction_time=timezone.now(),
        resources_done=4321,
        current_type="Observation",
    )
    return "4321"


def _audit_log(cast):
    audit_record(kind=LOGIN, username="auditee-ann")
    return "auditee-ann"


PAGES = {
    "/admin/auth/user/": _users,
    "/admin/auth/group/": _roles,
    "/admin/clinical/rolepolicy/": _role_policies,
    "/admin/otp_totp/totpdevice/": _second_factors,
    "/admin/axes/accessattempt/": _locked_accounts,
    "/admin/clinical/glassbreak/": _glass_breaks,
    "/admin/clinical/restrictedchart/": _restricted_charts,
    "/admin/oauth2_provider/application/": _smart_apps,
    "/admin/cds/cdsclient/": _cds_clients,
    "/admin/cds/externalcdsservice/": _external_services,
    "/cds/rules/": _cds_rules,
    "/admin/fhirbulk/importjob/": _import_jobs,
    "/admin/fhirbulk/exportjob/": _export_jobs,
    "/admin/audit/auditrecord/": _audit_log,
}


@pytest.fixture
def cast(administrator, physician, pharmacist, front_desk):
    return {"administrator": administrator, "physician": physician}


@pytest.fixture
def staff_physician(django_user_model, physician):
    physician.is_staff = True
    physician.save(update_fields=["is_staff"])
    return physician


@pytest.mark.parametrize("url", PAGES)
def test_the_admin_role_sees_the_data(url, cast, signed_in):
    expected = PAGES[url](cast)
    response = signed_in(cast["administrator"]).get(url)
    assert response.status_code == 200
    assert expected in response.content.decode()


@pytest.mark.parametrize("url", [*PAGES, "/admin/subscriptions/", "/admin/status/"])
def test_others_are_refused(url, staff_physician, signed_in, anonymous_client):
    refused = signed_in(staff_physician).get(url, follow=True)
    assert refused.status_code == 403
    assert (
        anonymous_client.get(url, follow=True).redirect_chain[-1][0].startswith("/accounts/login/")
    )


def test_the_audit_log_is_read_only(administrator, signed_in):
    record = audit_record(kind=LOGIN, username="auditee-ann")
    client = signed_in(administrator)
    assert (
        "/admin/audit/auditrecord/add/"
        not in client.get("/admin/audit/auditrecord/").content.decode()
    )
    change = f"/admin/audit/auditrecord/{record.pk}/change/"
    assert client.post(change, {"username": "someone-else"}).status_code == 403
    assert (
        client.post(f"/admin/audit/auditrecord/{record.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditRecord.objects.get(pk=record.pk).username == "auditee-ann"


def _lock(username: str, settings) -> None:
    AccessAttempt.objects.create(
        username=username,
        ip_address="192.0.2.7",
        user_agent="t",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )


def test_locked_users_are_filtered_and_unlocked_with_an_audit_record(
    administrator, physician, nurse, signed_in, settings
):
    _lock(physician.username, settings)
    _lock("someone-else", settings)
    client = signed_in(administrator)
    locked = client.get("/admin/auth/user/?locked=yes").content.decode()
    assert ">dr-house</a>" in locked and ">nurse-joy</a>" not in locked

    response = client.post(
        "/admin/auth/user/",
        {"action": "unlock", "_selected_action": [physician.pk, nurse.pk]},
        follow=True,
    )
    assert "Cleared 1 lock-out record(s)." in response.content.decode()
    assert not AccessAttempt.objects.filter(username=physician.username).exists()
    assert AccessAttempt.objects.filter(username="someone-else").exists()
    record = AuditRecord.objects.get(subtype="signin-unlock")
    assert record.username == administrator.username
    assert "dr-house" in json.dumps(record.content)
    assert ">dr-house</a>" not in client.get("/admin/auth/user/?locked=yes").content.decode()
