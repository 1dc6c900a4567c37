"""Patient/$cohort: a Group of the Patients a search finds, which Group $export then exports."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clinical.roles import PHARMACIST
from fhirapi.store.models import ResourceRecord
from tests.fhirapi.bulk.conftest import client_for
from tests.fhirapi.bulk.test_export import kick_off, lines_of, manifest_of

NAMED = {"resourceType": "Parameters", "parameter": [{"name": "name", "valueString": "Women"}]}


def patients_where(gender: str) -> set[str]:
    return {
        record.resource_id
        for record in ResourceRecord.objects.filter(resource_type="Patient", deleted=False)
        if record.content.get("gender") == gender
    }


def test_a_cohort_from_a_search_is_a_group_that_group_export_exports(
    alice, loaded, django_capture_on_commit_callbacks
):
    women = patients_where("female")
    assert women and patients_where("male")  # the search must leave some out
    client = client_for(alice)

    response = client.fhir("POST", "/fhir/Patient/$cohort?gender=female&_count=1", NAMED)

    assert response.status_code == 201, response.content
    group = response.json()
    assert response["Location"].endswith(f"/Group/{group['id']}/_history/1")
    assert (group["name"], group["quantity"], group["actual"]) == ("Women", len(women), True)
    assert {m["entity"]["reference"] for m in group["member"]} == {f"Patient/{i}" for i in women}
    status_url = kick_off(
        client,
        f"/fhir/Group/{group['id']}/$export?_type=Patient",
        django_capture_on_commit_callbacks,
    )
    [output] = manifest_of(client, status_url)["output"]
    assert {p["id"] for p in lines_of(client, output["url"])} == women


def test_a_cohort_without_search_parameters_is_refused(alice, loaded):
    response = client_for(alice).fhir("POST", "/fhir/Patient/$cohort?_count=5")

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not ResourceRecord.objects.filter(resource_type="Group").exists()


def test_a_cohort_matching_nobody_is_an_empty_group(alice, loaded):
    response = client_for(alice).fhir("POST", "/fhir/Patient/$cohort?family=NoSuchFamily")

    assert response.status_code == 201
    assert response.json()["quantity"] == 0 and "member" not in response.json()


def test_making_a_cohort_needs_post_and_the_right_to_create_groups(alice, loaded):
    assert client_for(alice).fhir("GET", "/fhir/Patient/$cohort?gender=male").status_code == 405
    pharmacist = get_user_model().objects.create_user("phil", password="unused-in-tests")
    pharmacist.groups.add(Group.objects.get_or_create(name=PHARMACIST.name)[0])

    response = client_for(pharmacist).fhir("POST", "/fhir/Patient/$cohort?gender=male")

    assert response.status_code == 403
    assert not ResourceRecord.objects.filter(resource_type="Group").exists()
