"""FHIR resources of the demo population, one function each; everything they need is passed in
(ids, references, times), so the story in population.py reads as a list of clinical events."""

import base64
from datetime import datetime
from typing import Any

from fhirapi.demo.catalogue import UCUM, Code, Lab

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
ACT_CODES = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
NOTE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
MEDICATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
DICOM_MODALITY = "http://dicom.nema.org/resources/ontology/DCM"
INTERPRETATIONS = {"H": "High", "L": "Low", "N": "Normal"}

Ref = dict[str, str]


def instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def interpretation(value: float, low: float | None, high: float | None) -> str:
    if high is not None and value > high:
        return "H"
    if low is not None and value < low:
        return "L"
    return "N"


def encounter(
    resource_id: str,
    *,
    patient: Ref,
    kind: Code,
    class_code: str,
    class_display: str,
    start: datetime,
    end: datetime | None,
    practitioner: Ref,
    provider: Ref,
    locations: list[Ref],
    reason: Code | None,
) -> dict[str, Any]:
    period = {"start": instant(start)} | ({"end": instant(end)} if end else {})
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": resource_id,
        "status": "finished" if end else "in-progress",
        "class": {"system": ACT_CODES, "code": class_code, "display": class_display},
        "type": [kind.concept()],
        "subject": patient,
        "participant": [
            {
                "type": [coding(PARTICIPATION, "PPRF", "primary performer")],
                "individual": practitioner,
                "period": period,
            }
        ],
        "period": period,
        "location": [
            {"location": location, "status": "completed" if end else "active"}
            for location in locations
        ],
        "serviceProvider": provider,
    }
    if reason is not None:
        resource["reasonCode"] = [reason.concept()]
    return resource


def vital_sign(
    resource_id: str,
    *,
    code: Code,
    patient: Ref,
    encounter_ref: Ref,
    when: datetime,
    value: float,
    unit: str,
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [coding(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
        "code": code.concept(),
        "subject": patient,
        "encounter": encounter_ref,
        "effectiveDateTime": instant(when),
        "valueQuantity": quantity(value, unit),
    }


def blood_pressure(
    resource_id: str,
    *,
    codes: tuple[Code, Code, Code],
    patient: Ref,
    encounter_ref: Ref,
    when: datetime,
    systolic: int,
    diastolic: int,
) -> dict[str, Any]:
    panel, systolic_code, diastolic_code = codes
    flag = "H" if systolic >= 140 or diastolic >= 90 else "N"
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [coding(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
        "code": panel.concept(),
        "subject": patient,
        "encounter": encounter_ref,
        "effectiveDateTime": instant(when),
        "interpretation": [coding(INTERPRETATION, flag, INTERPRETATIONS[flag])],
        "component": [
            {"code": systolic_code.concept(), "valueQuantity": quantity(systolic, "mm[Hg]")},
            {"code": diastolic_code.concept(), "valueQuantity": quantity(diastolic, "mm[Hg]")},
        ],
    }


def lab_result(
    resource_id: str,
    *,
    lab: Lab,
    patient: Ref,
    encounter_ref: Ref,
    when: datetime,
    issued: datetime,
    value: float,
    performer: Ref,
) -> dict[str, Any]:
    flag = interpretation(value, lab.low, lab.high)
    reference_range: dict[str, Any] = {}
    if lab.low is not None:
        reference_range["low"] = quantity(lab.low, lab.unit)
    if lab.high is not None:
        reference_range["high"] = quantity(lab.high, lab.unit)
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [coding(OBSERVATION_CATEGORY, "laboratory", "Laboratory")],
        "code": lab.code.concept(),
        "subject": patient,
        "encounter": encounter_ref,
        "effectiveDateTime": instant(when),
        "issued": instant(issued),
        "performer": [performer],
        "valueQuantity": quantity(value, lab.unit),
        "interpretation": [coding(INTERPRETATION, flag, INTERPRETATIONS[flag])],
        "referenceRange": [reference_range],
    }


def lab_report(
    resource_id: str,
    *,
    code: Code,
    patient: Ref,
    encounter_ref: Ref,
    when: datetime,
    issued: datetime,
    performer: Ref,
    results: list[Ref],
) -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "id": resource_id,
        "status": "final",
        "category": [coding("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory")],
        "code": code.concept(),
        "subject": patient,
        "encounter": encounter_ref,
        "effectiveDateTime": instant(when),
        "issued": instant(issued),
        "performer": [performer],
        "result": results,
    }


def condition(
    resource_id: str,
    *,
    code: Code,
    patient: Ref,
    onset: datetime,
    encounter_ref: Ref | None,
    abated: datetime | None,
    problem_list: bool,
) -> dict[str, Any]:
    status = "resolved" if abated else "active"
    category = (
        ("problem-list-item", "Problem List Item")
        if problem_list
        else (
            "encounter-diagnosis",
            "Encounter Diagnosis",
        )
    )
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": resource_id,
        "clinicalStatus": coding(CLINICAL_STATUS, status, status.title()),
        "verificationStatus": coding(VERIFICATION_STATUS, "confirmed", "Confirmed"),
        "category": [coding(CONDITION_CATEGORY, *category)],
        "code": code.concept(),
        "subject": patient,
        "onsetDateTime": instant(onset),
        "recordedDate": instant(onset),
    }
    if encounter_ref is not None:
        resource["encounter"] = encounter_ref
    if abated is not None:
        resource["abatementDateTime"] = instant(abated)
    return resource


def medication_request(
    resource_id: str,
    *,
    medication: Code,
    patient: Ref,
    encounter_ref: Ref,
    authored: datetime,
    requester: Ref,
    reason: Ref | None,
    status: str,
    inpatient: bool,
) -> dict[str, Any]:
    category = ("inpatient", "Inpatient") if inpatient else ("community", "Community")
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": resource_id,
        "status": status,
        "intent": "order",
        "category": [coding(MEDICATION_CATEGORY, *category)],
        "medicationCodeableConcept": medication.concept(),
        "subject": patient,
        "encounter": encounter_ref,
        "authoredOn": instant(authored),
        "requester": requester,
        "dosageInstruction": [dosage(medication.display)],
    }
    if reason is not None:
        resource["reasonReference"] = [reason]
    if not inpatient:
        resource["dispenseRequest"] = {"numberOfRepeatsAllowed": 11, "quantity": {"value": 30}}
    return resource


def dosage(display: str) -> dict[str, Any]:
    """A plain sig for the medication's form."""
    if "Inhal" in display:
        return {
            "sequence": 1,
            "text": "2 puffs every 4 to 6 hours as needed",
            "asNeededBoolean": True,
        }
    if "Inject" in display:
        return {"sequence": 1, "text": "Inject as directed before breakfast and dinner"}
    per_day = 3 if any(word in display for word in ("Amoxicillin", "Penicillin", "Nitrofur")) else 1
    return {
        "sequence": 1,
        "text": f"1 by mouth {'three times' if per_day == 3 else 'once'} daily",
        "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [{"doseQuantity": {"value": 1}}],
    }


def procedure(
    resource_id: str,
    *,
    code: Code,
    patient: Ref,
    encounter_ref: Ref,
    start: datetime,
    end: datetime,
    performer: Ref,
) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": resource_id,
        "status": "completed",
        "code": code.concept(),
        "subject": patient,
        "encounter": encounter_ref,
        "performedPeriod": {"start": instant(start), "end": instant(end)},
        "performer": [{"actor": performer}],
    }


def immunization(
    resource_id: str, *, vaccine: Code, patient: Ref, encounter_ref: Ref, when: datetime
) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "id": resource_id,
        "status": "completed",
        "vaccineCode": vaccine.concept(),
        "patient": patient,
        "encounter": encounter_ref,
        "occurrenceDateTime": instant(when),
        "primarySource": True,
    }


def allergy(
    resource_id: str,
    *,
    code: Code,
    category: str,
    criticality: str,
    manifestation: Code,
    patient: Ref,
    recorded: datetime,
) -> dict[str, Any]:
    return {
        "resourceType": "AllergyIntolerance",
        "id": resource_id,
        "clinicalStatus": coding(ALLERGY_CLINICAL, "active", "Active"),
        "verificationStatus": coding(ALLERGY_VERIFICATION, "confirmed", "Confirmed"),
        "type": "allergy",
        "category": [category],
        "criticality": criticality,
        "code": code.concept(),
        "patient": patient,
        "recordedDate": instant(recorded),
        "reaction": [{"manifestation": [manifestation.concept()]}],
    }


def care_plan(
    resource_id: str,
    *,
    code: Code,
    activities: tuple[Code, ...],
    patient: Ref,
    start: datetime,
    addresses: Ref,
    author: Ref,
) -> dict[str, Any]:
    return {
        "resourceType": "CarePlan",
        "id": resource_id,
        "status": "active",
        "intent": "plan",
        "category": [code.concept()],
        "title": code.display.split(" (")[0],
        "subject": patient,
        "period": {"start": instant(start)},
        "author": author,
        "addresses": [addresses],
        "activity": [
            {"detail": {"code": activity.concept(), "status": "in-progress"}}
            for activity in activities
        ],
    }


def clinical_note(
    resource_id: str,
    *,
    kind: Code,
    patient: Ref,
    encounter_ref: Ref,
    when: datetime,
    author: Ref,
    custodian: Ref,
    text: str,
) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": resource_id,
        "status": "current",
        "docStatus": "final",
        "type": kind.concept(),
        "category": [coding(NOTE_CATEGORY, "clinical-note", "Clinical Note")],
        "subject": patient,
        "date": instant(when),
        "author": [author],
        "custodian": custodian,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(text.encode()).decode(),
                    "title": kind.display,
                    "creation": instant(when),
                }
            }
        ],
        "context": {"encounter": [encounter_ref], "period": {"start": instant(when)}},
    }


def imaging_study(
    resource_id: str,
    *,
    study: tuple[str, str, str, str, str, str],
    patient: Ref,
    encounter_ref: Ref,
    when: datetime,
    referrer: Ref,
    interpreter: Ref,
) -> dict[str, Any]:
    modality, description, study_uid, series_uid, instance_uid, sop_class = study
    modality_coding = {"system": DICOM_MODALITY, "code": modality}
    return {
        "resourceType": "ImagingStudy",
        "id": resource_id,
        "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{study_uid}"}],
        "status": "available",
        "modality": [modality_coding],
        "subject": patient,
        "encounter": encounter_ref,
        "started": instant(when),
        "referrer": referrer,
        "interpreter": [interpreter],
        "numberOfSeries": 1,
        "numberOfInstances": 1,
        "description": description,
        "series": [
            {
                "uid": series_uid,
                "number": 1,
                "modality": modality_coding,
                "numberOfInstances": 1,
                "started": instant(when),
                "instance": [
                    {
                        "uid": instance_uid,
                        "sopClass": {"system": "urn:ietf:rfc:3986", "code": f"urn:oid:{sop_class}"},
                        "number": 1,
                    }
                ],
            }
        ],
    }
