"""Standalone launch: no EHR context, so the user picks the patient during authorization."""

from urllib.parse import urlencode

import pytest

from clinical.chart_access.services import break_glass, chart_restrict
from fhirapi.audit.models import AuditRecord
from tests.fhirapi.smart.conftest import fhir, page_fields, redirect_params

pytestmark = pytest.mark.django_db

SCOPE = "launch/patient openid fhirUser patient/Observation.rs patient/Patient.r"


def test_the_user_picks_the_patient_and_the_token_is_bound_to_them(flow, charts):
    mine, other = charts
    picker = flow.browser.get(flow.authorize_url(SCOPE))
    assert picker.status_code == 200
    html = picker.content.decode()
    assert "Choose the patient" in html
    assert mine.family in html and other.family in html

    (link,) = [href for href in page_fields(html).links if mine.patient_id in href]
    consent = flow.browser.get(f"/auth/authorize{link}")
    assert consent.status_code == 200
    assert mine.family in consent.content.decode()
    code = redirect_params(flow.approve(consent))["code"]
    token = flow.exchange(code).json()
    assert token["patient"] == mine.patient_id
    assert "encounter" not in token
    assert "refresh_token" not in token  # neither offline_access nor online_access was asked

    own = fhir("GET", f"/fhir/Observation/{mine.observation_id}", token["access_token"])
    assert own.status_code == 200
    theirs = fhir("GET", f"/fhir/Observation/{other.observation_id}", token["access_token"])
    assert theirs.status_code == 403


def test_the_picker_finds_patients_by_name(flow, charts):
    mine, other = charts
    url = flow.authorize_url(SCOPE) + "&" + urlencode({"patient_name": "outsid"})
    html = flow.browser.get(url).content.decode()
    links = page_fields(html).links
    assert len(links) == 1 and other.patient_id in links[0]
    assert mine.family not in html


def test_the_picker_hides_a_restricted_chart_outside_its_care_team(
    flow, charts, administrator, physician, clinician
):
    open_chart, closed = charts
    chart_restrict(patient_id=closed.patient_id, acting_user=administrator, care_team=[physician])

    html = flow.browser.get(flow.authorize_url(SCOPE)).content.decode()

    (link,) = page_fields(html).links
    assert open_chart.patient_id in link and closed.family not in html
    assert AuditRecord.objects.filter(username=clinician.username, resource_type="Patient").exists()
    break_glass(user=clinician, patient_id=closed.patient_id, reason="Unconscious in the ED now")
    assert closed.family in flow.browser.get(flow.authorize_url(SCOPE)).content.decode()


def test_a_forged_choice_of_a_restricted_chart_is_refused(flow, charts, administrator, physician):
    open_chart, closed = charts
    chart_restrict(patient_id=closed.patient_id, acting_user=administrator, care_team=[physician])

    asked = flow.browser.get(flow.authorize_url(SCOPE, patient=closed.patient_id))
    assert redirect_params(asked)["error"] == "invalid_request"
    consent = flow.browser.get(flow.authorize_url(SCOPE, patient=open_chart.patient_id))
    fields = {**page_fields(consent.content.decode()).fields, "allow": "Authorize"}
    forged = flow.browser.post("/auth/authorize", {**fields, "patient": closed.patient_id})
    assert redirect_params(forged)["error"] == "invalid_request"
    assert "code" not in redirect_params(forged)


def test_patient_scopes_alone_also_ask_for_a_patient(flow, charts):
    picker = flow.browser.get(flow.authorize_url("patient/*.rs"))
    assert "Choose the patient" in picker.content.decode()


def test_an_unknown_patient_is_refused(flow, charts):
    response = flow.browser.get(flow.authorize_url(SCOPE, patient="no-such-patient"))
    assert redirect_params(response)["error"] == "invalid_request"


def test_user_scopes_need_no_patient(flow, charts):
    token = flow.token("openid fhirUser user/Patient.rs")
    assert "patient" not in token
    both = [fhir("GET", f"/fhir/Patient/{c.patient_id}", token["access_token"]) for c in charts]
    assert [response.status_code for response in both] == [200, 200]


def test_the_authorization_request_may_come_by_post(flow, charts):
    url = flow.authorize_url(SCOPE, patient=charts[0].patient_id)
    path, _, query = url.partition("?")
    consent = flow.browser.post(path, query, content_type="application/x-www-form-urlencoded")
    assert consent.status_code == 200
    assert charts[0].family in consent.content.decode()
    code = redirect_params(flow.approve(consent))["code"]
    assert flow.exchange(code).json()["patient"] == charts[0].patient_id
