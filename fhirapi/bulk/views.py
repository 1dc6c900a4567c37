"""Bulk Data endpoints under /fhir/bulk/: export status (GET: progress or manifest; DELETE:
cancel), export files (NDJSON, to the requester only), import status; and `POST /fhir/$import`
with an NDJSON (or .zip / .tar.gz) body. Errors are OperationOutcomes, like the rest of /fhir."""

from pathlib import PurePath
from uuid import UUID

from django.http import FileResponse
from django.utils.http import http_date
from rest_framework.request import Request
from rest_framework.response import Response

from fhirapi.bulk import selectors, services
from fhirapi.bulk.exporter import NDJSON
from fhirapi.bulk.models import ExportJob, ImportJob, JobStatus
from fhirapi.errors import Forbidden, Issue, operation_outcome
from fhirapi.rest.negotiation import FhirContentNegotiation, read_limited_body
from fhirapi.rest.operations import OperationView
from fhirapi.rest.responses import fhir_base
from fhirapi.rest.views import FhirView
from fhirapi.store.writes import format_instant

RETRY_AFTER_SECONDS = "2"
MANIFEST = "application/json"
UPLOAD_NAMES = {
    "application/fhir+ndjson": "upload.ndjson",
    "application/ndjson": "upload.ndjson",
    "application/x-ndjson": "upload.ndjson",
    "application/zip": "upload.zip",
    "application/gzip": "upload.tar.gz",
    "application/x-gzip": "upload.tar.gz",
    "application/x-tar": "upload.tar",
}


class NdjsonFileResponse(FileResponse):
    """A streamed export file; `data` is what the audit trail (FhirView) looks into: nothing."""

    data = None


class AnyAcceptNegotiation(FhirContentNegotiation):
    """File downloads are asked for as NDJSON; errors are still rendered as FHIR JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportStatusView(FhirView):
    content_negotiation_class = AnyAcceptNegotiation

    def get(self, request: Request, job_id: UUID):
        services.exports_fail_stale()  # a job whose worker died says so, not "in progress"
        job = selectors.export_job_for_user(user=request.user, job_id=job_id)
        if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            return Response(status=202, headers=_in_progress_headers(_export_progress(job)))
        if job.status != JobStatus.COMPLETED:
            issue = Issue("exception", f"the export {job.status}: {job.error or 'no details'}")
            return Response(operation_outcome([issue]), status=500)
        expires = http_date(job.expires_at.timestamp())
        return Response(export_manifest(job), content_type=MANIFEST, headers={"Expires": expires})

    def delete(self, request: Request, job_id: UUID) -> Response:
        job = selectors.export_job_for_user(user=request.user, job_id=job_id)
        services.export_job_cancel(job=job)
        issue = Issue("informational", f"export {job_id} cancelled", severity="information")
        return Response(operation_outcome([issue]), status=202)


class ExportFileView(FhirView):
    content_negotiation_class = AnyAcceptNegotiation

    def get(self, request: Request, job_id: UUID, name: str) -> FileResponse:
        path = selectors.export_file_for_user(user=request.user, job_id=job_id, name=name)
        return NdjsonFileResponse(path.open("rb"), content_type=NDJSON)


class ImportStatusView(FhirView):
    def get(self, request: Request, job_id: UUID):
        job = selectors.import_job_for_user(user=request.user, job_id=job_id)
        if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            progress = f"{job.resources_done:,} resources, {job.percent}% read"
            return Response(status=202, headers=_in_progress_headers(progress))
        return Response(import_manifest(job), content_type=MANIFEST)


class ImportOperationView(OperationView):
    """`POST /fhir/$import`: a Parameters manifest goes to the registered operation
    (fhirapi/operations/bulk_import.py); an NDJSON, .zip or .tar.gz body is imported as it is."""

    def post(self, request: Request, operation: str = "import", **kwargs):
        content_type = request.content_type.split(";")[0].strip().lower()
        if content_type not in UPLOAD_NAMES:
            return super().post(request, operation, **kwargs)
        if not request.user.has_perm(services.IMPORT_PERMISSION):
            raise Forbidden("importing data needs the permission to start imports")
        length = request.META.get("CONTENT_LENGTH")
        job = services.import_job_start(
            owner=request.user,
            upload=(UPLOAD_NAMES[content_type], read_limited_body(request.stream, length)),
            request_url=request.build_absolute_uri(),
        )
        return import_accepted(job, fhir_base(request))


def import_accepted(job: ImportJob, base_url: str) -> Response:
    status_url = services.import_status_url(base_url, job)
    issue = Issue("informational", f"import started: poll {status_url}", severity="information")
    return Response(
        operation_outcome([issue]), status=202, headers={"Content-Location": status_url}
    )


def export_manifest(job: ExportJob) -> dict:
    files_url = services.export_status_url(job.base_url, job)
    return {
        "transactionTime": format_instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": item["type"], "url": f"{files_url}/{item['file']}", "count": item["count"]}
            for item in job.output
        ],
        "error": [],
    }


def import_manifest(job: ImportJob) -> dict:
    return {
        "transactionTime": format_instant(job.finished_at or job.created_at),
        "request": job.request_url,
        "status": job.status,
        "resources": job.resources_done,
        "errors": job.errors,
        "message": job.message,
        "files": [{**result, "name": _shown_name(result["name"])} for result in job.results],
    }


def _shown_name(name: str) -> str:
    """A file's name without the server's directories (`a.zip!member/b.ndjson` stays whole)."""
    archive, bang, member = name.partition("!")
    return PurePath(archive).name + bang + member


def _export_progress(job: ExportJob) -> str:
    if job.status == JobStatus.QUEUED:
        return "queued"
    return f"{job.resources_done:,} resources written" + (
        f", now {job.current_type}" if job.current_type else ""
    )


def _in_progress_headers(progress: str) -> dict[str, str]:
    return {"X-Progress": progress[:100], "Retry-After": RETRY_AFTER_SECONDS}
