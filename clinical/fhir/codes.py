"""Code systems and fixed codes the workspace writes (and recognises when it reads)."""

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
MEDICATION_REQUEST_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
MEDICATION_STATUS_REASON = "http://terminology.hl7.org/CodeSystem/medicationrequest-status-reason"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
DOCUMENT_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
ROUTE = SNOMED

NO_KNOWN_ALLERGY = "716186003"  # SNOMED CT: No known allergy (situation)
VITAL_SIGNS = "vital-signs"
LABORATORY = "laboratory"
NOTE_TYPE_PROGRESS = "11506-3"  # LOINC: Progress note

USERNAME_SYSTEM = "urn:wintehr:username"

ABNORMAL_FLAGS = frozenset({"H", "L", "A", "HH", "LL", "AA", "HU", "LU", "<", ">"})
CRITICAL_FLAGS = frozenset({"HH", "LL", "AA"})


def coding(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def concept(system: str, code: str, display: str) -> dict:
    return {"coding": [coding(system, code, display)], "text": display}
