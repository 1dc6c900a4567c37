"""Cohorts: a Group of the Patients a search finds, for Group-level `$export` (or any use that
needs a fixed list of patients). The Group is a snapshot taken when it is made: Patients who match
the search later are not added."""

from urllib.parse import urlencode

from fhirapi.errors import BadRequest
from fhirapi.services import FhirRepository
from fhirapi.store.values import WriteOutcome

# Parameters that shape a result page, not which Patients match.
NOT_CRITERIA = frozenset(
    {"_format", "_pretty", "_count", "_sort", "_summary", "_elements", "_include", "_revinclude"}
    | {"_total", "_page"}
)


def cohort_group_create(
    *, repository: FhirRepository, params: list[tuple[str, str]], name: str = ""
) -> WriteOutcome:
    """Create a Group (person, actual) whose members are the Patients `params` find."""
    criteria = [(key, value) for key, value in params if key not in NOT_CRITERIA]
    if not criteria:
        raise BadRequest("a cohort needs Patient search parameters (or it is every Patient)")
    query = urlencode(criteria)
    patients = repository.match("Patient", query, limit=None)
    group = {
        "resourceType": "Group",
        "type": "person",
        "actual": True,
        "name": name or f"Patients matching {query}",
        "quantity": len(patients),
    }
    if patients:
        group["member"] = [{"entity": {"reference": p.relative_url}} for p in patients]
    return repository.create(group)
