"""The built-in CDS services, one module each."""

from cds.services import care_gaps, critical_results, discharge_readiness, medication_safety

BUILT_IN = (
    care_gaps.SERVICE,
    critical_results.SERVICE,
    medication_safety.SERVICE,
    discharge_readiness.SERVICE,
)
