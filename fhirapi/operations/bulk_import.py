"""$import: load NDJSON (or Bundles, or archives of them) asynchronously, like `import_fhir`.

`POST [base]/$import` with a Parameters manifest in the shape of the Bulk Data Import draft
(`input` parts whose `url` is a `file:` URL under FHIR_IMPORT_DIR; remote URLs are not fetched),
or with the data itself as the body (application/fhir+ndjson, application/zip, application/gzip:
fhirapi/bulk/views.py). Answers 202 with `Content-Location`, the import's status URL. Resources
keep their ids, so importing the same data again changes nothing (fhirapi/bulk/writer.py)."""

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings

from fhirapi.bulk import services
from fhirapi.bulk.exporter import OUTPUT_FORMATS
from fhirapi.errors import BadRequest, Forbidden, Issue, operation_outcome
from fhirapi.operations.registry import Invocation, Operation, OperationResult, register


def import_kickoff(invocation: Invocation) -> OperationResult:
    user = invocation.user
    if user is None or not user.has_perm(services.IMPORT_PERMISSION):
        raise Forbidden("importing data needs the permission to start imports")
    body = invocation.body
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise BadRequest("$import takes a Parameters manifest, or NDJSON as the body")
    parameters = body.get("parameter") or []
    for parameter in parameters:
        if parameter.get("name") == "inputFormat" and _value(parameter) not in OUTPUT_FORMATS:
            raise BadRequest(f"inputFormat {_value(parameter)!r} is not supported (NDJSON only)")
    paths = [str(_local_path(url)) for url in _input_urls(parameters)]
    if not paths:
        raise BadRequest("$import needs at least one input with a url")
    job = services.import_job_start(owner=user, paths=paths, request_url=invocation.url)
    status_url = services.import_status_url(invocation.base_url, job)
    issue = Issue("informational", f"import started: poll {status_url}", severity="information")
    return OperationResult(
        operation_outcome([issue]), status=202, headers={"Content-Location": status_url}
    )


def _value(parameter: dict[str, Any]) -> Any:
    return next((v for k, v in parameter.items() if k.startswith("value")), None)


def _input_urls(parameters: list[dict[str, Any]]) -> list[str]:
    urls = []
    for parameter in parameters:
        if parameter.get("name") != "input":
            continue
        url = next((_value(p) for p in parameter.get("part") or [] if p.get("name") == "url"), None)
        if not isinstance(url, str):
            raise BadRequest("each $import input needs a url part")
        urls.append(url)
    return urls


def _local_path(url: str) -> Path:
    """The file a `file:` URL names, refused unless it lies under FHIR_IMPORT_DIR."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise BadRequest(f"{url}: only file: URLs under the server's import directory are read")
    root = Path(settings.FHIR_IMPORT_DIR).resolve()
    try:
        path = Path(unquote(parts.path)).resolve()
        found = path.is_relative_to(root) and path.exists()
    except (ValueError, OSError):  # a NUL byte, a name too long
        found = False
    if not found:
        raise BadRequest(f"{url}: no such file under the server's import directory")
    return path


register(
    Operation(
        name="import",
        definition_url="http://hl7.org/fhir/uv/bulkdata/OperationDefinition/import",
        system=True,
        type_level=False,
        instance=False,
        resource_types=None,
        affects_state=True,
        handler=import_kickoff,
    )
)
