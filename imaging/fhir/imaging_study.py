"""The FHIR R4 ImagingStudy (and our DICOMweb Endpoint) for an indexed study: plain dicts, built
from the index tables, written through FhirRepository by imaging/services/fhir_link.py."""

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from imaging.fhir.body_parts import body_site_coding
from imaging.models import Instance, Series, Study

DCM = "http://dicom.nema.org/resources/ontology/DCM"
DICOM_UID = "urn:dicom:uid"
ENDPOINT_ID = "wintehr-dicomweb"


def imaging_study_resource(
    study: Study, series: list[Series], instances: dict[int, list[Instance]]
) -> dict[str, Any]:
    """`instances` maps a series' pk to its instances."""
    resource: dict[str, Any] = {
        "resourceType": "ImagingStudy",
        "identifier": _identifiers(study),
        "status": "available",
        "subject": {"reference": f"Patient/{study.patient_fhir_id}"},
        "endpoint": [{"reference": f"Endpoint/{ENDPOINT_ID}"}],
        "numberOfSeries": len(series),
        "numberOfInstances": sum(len(instances.get(s.pk, [])) for s in series),
        "series": [_series(s, instances.get(s.pk, [])) for s in series],
    }
    modalities = sorted({s.modality for s in series if s.modality})
    if modalities:
        resource["modality"] = [{"system": DCM, "code": code} for code in modalities]
    started = started_at(study.study_date, study.study_time)
    if started:
        resource["started"] = started
    if study.service_request_fhir_id:
        resource["basedOn"] = [{"reference": f"ServiceRequest/{study.service_request_fhir_id}"}]
    if study.study_description:
        resource["description"] = study.study_description
    return resource


def _identifiers(study: Study) -> list[dict[str, Any]]:
    identifiers: list[dict[str, Any]] = [
        {"system": DICOM_UID, "value": f"urn:oid:{study.study_instance_uid}"}
    ]
    if study.accession_number:
        identifiers.append(
            {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ACSN"}
                    ]
                },
                "value": study.accession_number,
            }
        )
    return identifiers


def _series(series: Series, instances: list[Instance]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "uid": series.series_instance_uid,
        "modality": {"system": DCM, "code": series.modality or "OT"},
        "numberOfInstances": len(instances),
        "instance": [_instance(i) for i in instances],
    }
    if series.series_number is not None and series.series_number >= 0:
        entry["number"] = series.series_number
    if series.series_description:
        entry["description"] = series.series_description
    body_site = body_site_coding(series.body_part_examined)
    if body_site:
        entry["bodySite"] = body_site
    started = started_at(series.series_date, series.series_time)
    if started:
        entry["started"] = started
    return entry


def _instance(instance: Instance) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "uid": instance.sop_instance_uid,
        "sopClass": {"system": "urn:ietf:rfc:3986", "code": f"urn:oid:{instance.sop_class_uid}"},
    }
    if instance.instance_number is not None and instance.instance_number >= 0:
        entry["number"] = instance.instance_number
    return entry


def started_at(day: date | None, dicom_time: str) -> str | None:
    """A FHIR dateTime from DICOM DA and TM values; DICOM times carry no zone, so the server's
    TIME_ZONE is assumed (FHIR requires a zone once there is a time)."""
    if day is None:
        return None
    clock = _dicom_time(dicom_time)
    if clock is None:
        return day.isoformat()
    moment = datetime.combine(day, clock, tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment.isoformat(timespec="seconds")


def _dicom_time(value: str) -> time | None:
    digits = value.split(".")[0].replace(":", "").strip()
    if len(digits) < 4 or not digits.isdigit():
        return None
    try:
        return time(int(digits[:2]), int(digits[2:4]), int(digits[4:6] or 0))
    except ValueError:
        return None


def endpoint_resource() -> dict[str, Any]:
    return {
        "resourceType": "Endpoint",
        "id": ENDPOINT_ID,
        "status": "active",
        "connectionType": {
            "system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
            "code": "dicom-wado-rs",
        },
        "name": "WintEHR DICOMweb",
        "payloadType": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/endpoint-payload-type",
                        "code": "DICOM",
                    }
                ]
            }
        ],
        "payloadMimeType": ["application/dicom"],
        "address": settings.IMAGING_DICOMWEB_URL,
    }
