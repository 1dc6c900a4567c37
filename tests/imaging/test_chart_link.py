"""Studies in the chart: ImagingStudy content, patient and order matching, reconciliation."""

import pytest
from django.urls import reverse

from fhirapi.services import FhirRepository
from imaging.models import Study, StudyReconciliation
from tests.imaging.conftest import CT, MR, ingest, patient_with_mrn, variant

pytestmark = pytest.mark.django_db


def test_a_matched_study_becomes_an_imaging_study(physician):
    patient_id = patient_with_mrn("1CT1")
    [study] = ingest(
        physician,
        CT,
        ("second.dcm", variant(CT, StudyInstanceUID=_ct_study_uid(), BodyPartExamined="CHEST")),
    ).studies

    assert study.patient_fhir_id == patient_id
    resource = FhirRepository().read("ImagingStudy", study.imaging_study_fhir_id).content
    assert resource["subject"] == {"reference": f"Patient/{patient_id}"}
    assert resource["status"] == "available"
    assert resource["numberOfSeries"] == 2 and resource["numberOfInstances"] == 2
    assert resource["modality"] == [
        {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}
    ]
    assert {"system": "urn:dicom:uid", "value": f"urn:oid:{study.study_instance_uid}"} in resource[
        "identifier"
    ]
    assert resource["started"].startswith("2004-01-19T07:27:30")
    assert resource["endpoint"] == [{"reference": "Endpoint/wintehr-dicomweb"}]
    endpoint = FhirRepository().read("Endpoint", "wintehr-dicomweb").content
    assert endpoint["address"].endswith("/dicomweb")
    series = {s["uid"]: s for s in resource["series"]}
    assert len(series) == 2
    body_sites = [s.get("bodySite") for s in series.values()]
    assert {
        "system": "http://snomed.info/sct",
        "code": "51185008",
        "display": "Thorax",
    } in body_sites
    instance = next(iter(series.values()))["instance"][0]
    assert instance["sopClass"]["code"] == "urn:oid:1.2.840.10008.5.1.4.1.1.2"
    assert not StudyReconciliation.objects.exists()


def test_later_instances_update_the_same_imaging_study(physician):
    patient_with_mrn("1CT1")
    [first] = ingest(physician, CT).studies
    extra = variant(CT, StudyInstanceUID=first.study_instance_uid)
    [again] = ingest(physician, ("more.dcm", extra)).studies
    assert again.imaging_study_fhir_id == first.imaging_study_fhir_id
    stored = FhirRepository().read("ImagingStudy", again.imaging_study_fhir_id)
    assert stored.version_id == 2
    assert stored.content["numberOfInstances"] == 2


def test_the_order_is_linked_by_accession_number(physician):
    patient_id = patient_with_mrn("1CT1")
    order = (
        FhirRepository()
        .create(
            {
                "resourceType": "ServiceRequest",
                "status": "active",
                "intent": "order",
                "identifier": [{"system": "urn:example:accession", "value": "ACC-42"}],
                "code": {"text": "CT head"},
                "subject": {"reference": f"Patient/{patient_id}"},
            }
        )
        .stored.resource_id
    )
    [study] = ingest(physician, ("ct.dcm", variant(CT, AccessionNumber="ACC-42"))).studies
    resource = FhirRepository().read("ImagingStudy", study.imaging_study_fhir_id).content
    assert resource["basedOn"] == [{"reference": f"ServiceRequest/{order}"}]
    assert {"type", "value"} <= set(resource["identifier"][1]) and resource["identifier"][1][
        "value"
    ] == "ACC-42"


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda: None, StudyReconciliation.Reason.NO_MATCH),
        (
            lambda: [patient_with_mrn("1CT1"), patient_with_mrn("1CT1")],
            StudyReconciliation.Reason.AMBIGUOUS,
        ),
        (
            lambda: patient_with_mrn("1CT1", family="Someoneelse"),
            StudyReconciliation.Reason.NAME_DIFFERS,
        ),
    ],
)
def test_an_uncertain_patient_sends_the_study_to_reconciliation(physician, setup, reason):
    setup()
    [study] = ingest(physician, CT).studies
    assert study.patient_fhir_id == "" and study.imaging_study_fhir_id == ""
    assert StudyReconciliation.objects.get(study=study).reason == reason


def test_a_study_without_patient_id_waits_too(physician):
    [study] = ingest(physician, ("anon.dcm", variant(MR, PatientID=""))).studies
    assert study.reconciliation.reason == StudyReconciliation.Reason.NO_PATIENT_ID


def test_reconciliation_page_lists_the_study_and_assigns_a_patient(physician, signed_in):
    [study] = ingest(physician, CT).studies
    patient_id = patient_with_mrn("other-mrn")
    client = signed_in(physician)
    page = client.get(reverse("imaging:reconciliation"))
    assert page.status_code == 200
    assert b"CompressedSamples^CT1" in page.content

    item = study.reconciliation
    response = client.post(reverse("imaging:assign", args=[item.pk]), {"patient_id": patient_id})
    assert response.status_code == 302
    study.refresh_from_db()
    item.refresh_from_db()
    assert study.patient_fhir_id == patient_id and item.resolved_by == physician
    resource = FhirRepository().read("ImagingStudy", study.imaging_study_fhir_id).content
    assert resource["subject"]["reference"] == f"Patient/{patient_id}"
    assert b"No study is waiting" in client.get(reverse("imaging:reconciliation")).content


def test_assigning_an_unknown_patient_changes_nothing(physician, signed_in):
    [study] = ingest(physician, CT).studies
    client = signed_in(physician)
    response = client.post(
        reverse("imaging:assign", args=[study.reconciliation.pk]),
        {"patient_id": "nobody"},
        follow=True,
    )
    assert b"There is no Patient/nobody" in response.content
    assert Study.objects.get(pk=study.pk).patient_fhir_id == ""


def test_the_queue_is_closed_to_roles_that_cannot_document(pharmacist, signed_in):
    assert signed_in(pharmacist).get(reverse("imaging:reconciliation")).status_code == 403


def _ct_study_uid() -> str:
    import pydicom

    return str(pydicom.dcmread(CT, stop_before_pixels=True).StudyInstanceUID)
