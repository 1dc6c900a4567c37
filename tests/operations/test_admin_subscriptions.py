"""The admin's Subscriptions page: every Subscription resource with its status, error reason and
last delivery; deactivate and reactivate go through the FHIR service API as the admin."""

import re

import pytest

from fhirapi.audit.models import AuditRecord
from fhirapi.services import FhirRepository
from fhirapi.subscriptions.models import PendingNotification, SubscriptionChannel
from tests.fhirapi.subscriptions.conftest import Receiver, committed
from tests.fhirapi.subscriptions.test_rest_hook import observation, patient, subscribe, subscription

pytestmark = pytest.mark.django_db
PAGE = "/admin/subscriptions/"


@pytest.fixture(autouse=True)
def quick_failures(settings):
    settings.FHIR_SUBSCRIPTION_RETRIES = 0
    settings.FHIR_SUBSCRIPTION_MAX_FAILURES = 1
    settings.FHIR_SUBSCRIPTION_TIMEOUT_SECONDS = 2.0


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def _row(page: str, subscription_id: str) -> str:
    start = page.index(f'<tr id="subscription-{subscription_id}">')
    return page[start : page.index("</tr>", start)]


def test_the_page_shows_status_error_reason_and_last_delivery(receiver, administrator, signed_in):
    working = subscribe(receiver.url)
    failing = subscribe("http://127.0.0.1:9/nobody-listens")
    invalid = subscribe(receiver.url, criteria="Observation?no-such-parameter=1")
    committed(FhirRepository().create, observation(patient()))

    page = signed_in(administrator).get(PAGE).content.decode()
    assert "3 of 3 subscription(s)" in page
    row = _row(page, working)
    assert '"status-active">active<' in row and " ok</td>" in row
    assert "Observation?code=http://loinc.org|2339-0" in row
    row = _row(page, failing)
    assert '"status-error">error<' in row and "127.0.0.1:9" in row
    assert re.search(r"<td>1</td>\s*<td>1</td>", row)  # one failure, one waiting for retry
    row = _row(page, invalid)
    assert "no-such-parameter" in row and 'value="reactivate"' in row
    search = AuditRecord.objects.get(subtype="search-type", resource_type="Subscription")
    assert search.username == administrator.username

    only_errors = signed_in(administrator).get(PAGE, {"status": "error"}).content.decode()
    assert f"subscription-{failing}" in only_errors and f"subscription-{working}" not in only_errors


def test_deactivate_and_reactivate_through_the_fhir_api(
    receiver, administrator, signed_in, django_capture_on_commit_callbacks
):
    subscription_id = subscribe(receiver.url)
    client = signed_in(administrator)
    switch = f"/admin/subscriptions/{subscription_id}/switch"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(switch, {"action": "deactivate"}, follow=True)
    assert f"Subscription/{subscription_id} is now off." in response.content.decode()
    assert subscription(subscription_id)["status"] == "off"
    assert not SubscriptionChannel.objects.filter(pk=subscription_id).exists()
    committed(FhirRepository().create, observation(patient()))
    assert receiver.requests == []

    with django_capture_on_commit_callbacks(execute=True):
        client.post(switch, {"action": "reactivate"})
    assert subscription(subscription_id)["status"] == "active"  # checked again, after commit
    committed(FhirRepository().create, observation(patient()))
    assert len(receiver.requests) == 1
    updates = AuditRecord.objects.filter(subtype="update", resource_id=subscription_id)
    assert list(updates.values_list("username", flat=True)) == [administrator.username] * 2


def test_reactivating_a_broken_subscription_gives_the_reason_again(
    receiver, administrator, signed_in, django_capture_on_commit_callbacks
):
    subscription_id = subscribe(receiver.url, criteria="Observation?no-such-parameter=1")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(administrator).post(
            f"/admin/subscriptions/{subscription_id}/switch", {"action": "reactivate"}
        )
    found = subscription(subscription_id)
    assert found["status"] == "error" and "no-such-parameter" in found["error"]
    assert found["meta"]["versionId"] == "4"  # requested, error; requested (admin), error


def test_unknown_subscriptions_and_actions_are_reported_not_written(
    receiver, administrator, signed_in
):
    subscription_id = subscribe(receiver.url)
    client = signed_in(administrator)
    missing = client.post(
        "/admin/subscriptions/nope-1/switch", {"action": "deactivate"}, follow=True
    )
    assert "Subscription/nope-1:" in missing.content.decode()
    bad = client.post(
        f"/admin/subscriptions/{subscription_id}/switch", {"action": "delete"}, follow=True
    )
    assert "Unknown action" in bad.content.decode()
    assert subscription(subscription_id)["status"] == "active"
    assert not PendingNotification.objects.exists()


def test_only_the_admin_role_may_switch(receiver, physician, signed_in):
    subscription_id = subscribe(receiver.url)
    physician.is_staff = True
    physician.save(update_fields=["is_staff"])
    switch = f"/admin/subscriptions/{subscription_id}/switch"
    assert (
        signed_in(physician).post(switch, {"action": "deactivate"}, follow=True).status_code == 403
    )
    assert subscription(subscription_id)["status"] == "active"
