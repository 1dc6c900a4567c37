"""The store's exceptions. Each carries an HTTP status and OperationOutcome issues; the REST layer
turns them into OperationOutcome responses, the screens into form errors or messages."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome.issue: what went wrong, and where (FHIRPath expressions)."""

    code: str  # an IssueType code: invalid, structure, required, value, not-found, conflict, ...
    diagnostics: str
    severity: str = "error"
    expression: tuple[str, ...] = field(default_factory=tuple)

    def as_fhir(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = list(self.expression)
            issue["location"] = list(self.expression)
        return issue


def operation_outcome(issues: list[Issue] | tuple[Issue, ...]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [issue.as_fhir() for issue in issues]}


class FhirError(Exception):
    status = 400
    issue_code = "invalid"

    def __init__(self, message: str, *, issues: list[Issue] | None = None, expression=()):
        super().__init__(message)
        self.issues = issues or [Issue(self.issue_code, message, expression=tuple(expression))]

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.issues)


class BadRequest(FhirError):
    """Malformed request: bad JSON, wrong resourceType, id mismatch, bad parameter (400)."""

    status = 400
    issue_code = "structure"


class InvalidSearch(BadRequest):
    issue_code = "invalid"


class Unauthorized(FhirError):
    status = 401
    issue_code = "login"


class Forbidden(FhirError):
    status = 403
    issue_code = "forbidden"


class ResourceNotFound(FhirError):
    status = 404
    issue_code = "not-found"


class MethodNotAllowed(FhirError):
    status = 405
    issue_code = "not-supported"


class Conflict(FhirError):
    status = 409
    issue_code = "conflict"


class ResourceGone(FhirError):
    """The resource existed and was deleted (410)."""

    status = 410
    issue_code = "deleted"


class VersionConflict(FhirError):
    """If-Match did not match the current version (412)."""

    status = 412
    issue_code = "conflict"


class PreconditionFailed(FhirError):
    """A conditional interaction matched more than one resource (412)."""

    status = 412
    issue_code = "multiple-matches"


class PayloadTooLarge(FhirError):
    status = 413
    issue_code = "too-costly"


class UnsupportedMediaType(FhirError):
    status = 415
    issue_code = "not-supported"


class InvalidResource(FhirError):
    """The resource fails validation or refers to resources that do not exist (422)."""

    status = 422
    issue_code = "invalid"
