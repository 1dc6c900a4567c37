"""The pharmacy: verifying signed medication orders, dispensing them, and the nurses' medication
administration record (MAR).

FHIR R4 has no element for a pharmacist's verification, so WintEHR records it on the
MedicationRequest in two extensions (clinical/pharmacy/states.py):

- `http://wintehr.dev/fhir/StructureDefinition/pharmacy-status` (valueCode): pending | verified |
  returned | rejected | dispensed | partially-dispensed. An active order without it is pending.
- `http://wintehr.dev/fhir/StructureDefinition/pharmacy-review` (complex): `by`
  (valueReference, the Practitioner who acted last), `at` (valueDateTime), `comment` (valueString).

Returned orders are also `status` on-hold with `statusReason` clarif (prescription requires
clarification); rejected ones `status` cancelled with the coded reason. A dispense is a
MedicationDispense (completed, `authorizingPrescription`, the lot and expiry on a contained
Medication's `batch`); an administration a MedicationAdministration (completed or not-done),
whose scheduled time is the extension
`http://wintehr.dev/fhir/StructureDefinition/scheduled-time` (valueDateTime) and the identifier
`urn:wintehr:mar-slot|<order id>.<UTC time>`, so a dose is recorded once.
"""
