"""Imaging screens: upload, the reconciliation queue, the viewer, a patient's studies (the chart's
Imaging tab) and the remote PACS. Thin: reads in selectors.py, writes in services/."""

from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinical.roles import EDIT_CHART, VIEW_CHART
from imaging.audit import image_access_audit
from imaging.forms import AssignPatientForm, PacsSearchForm, UploadForm
from imaging.selectors import patient_studies, reconciliation_queue, viewer_study
from imaging.services.ingest import dicom_ingest
from imaging.services.pacs import (
    PacsUnavailable,
    pacs_search,
    pacs_study_pull,
    pacs_target,
    pacs_targets,
)
from imaging.services.reconciliation import study_assign_patient
from imaging.uploads import NamedStream, upload_files
from imaging.viewer import viewer_config


@login_required
@permission_required(EDIT_CHART, raise_exception=True)
@require_http_methods(["GET", "POST"])
def upload_page(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        streams = [NamedStream(f.name, f) for f in form.cleaned_data["files"]]
        report = dicom_ingest(
            files=upload_files(streams), acting_user=request.user, source="upload"
        )
    return render(request, "imaging/upload.html", {"form": form, "report": report})


@login_required
@permission_required(EDIT_CHART, raise_exception=True)
@require_GET
def reconciliation_page(request: HttpRequest) -> HttpResponse:
    queue = reconciliation_queue(user=request.user)
    return render(
        request, "imaging/reconciliation.html", {"queue": queue, "form": AssignPatientForm()}
    )


@login_required
@permission_required(EDIT_CHART, raise_exception=True)
@require_POST
def reconciliation_assign(request: HttpRequest, pk: int) -> HttpResponse:
    form = AssignPatientForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the patient's id (letters, digits, - and .).")
        return redirect("imaging:reconciliation")
    patient_id = form.cleaned_data["patient_id"]
    try:
        study = study_assign_patient(
            reconciliation_pk=pk, patient_id=patient_id, acting_user=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Study {study.study_instance_uid} is now in the chart of Patient/{patient_id}.",
        )
    return redirect("imaging:reconciliation")


@login_required
@permission_required(VIEW_CHART, raise_exception=True)
@require_GET
@csp_update({"img-src": ["blob:"]})  # frames are fetched (to read X-Window), shown as blob: URLs
def viewer_page(request: HttpRequest, study_uid: str) -> HttpResponse:
    viewed = viewer_study(user=request.user, study_uid=study_uid)
    image_access_audit(user=request.user, study=viewed.study, description="viewer opened")
    config = viewer_config(viewed, dicomweb_root=reverse("dicomweb-studies"))
    return render(request, "imaging/viewer.html", {"viewed": viewed, "config": config})


@login_required
@permission_required(VIEW_CHART, raise_exception=True)
@require_GET
def patient_studies_fragment(request: HttpRequest, patient_id: str) -> HttpResponse:
    studies = patient_studies(user=request.user, patient_id=patient_id)
    return render(request, "imaging/_patient_studies.html", {"studies": studies})


@login_required
@permission_required(EDIT_CHART, raise_exception=True)
@require_GET
def pacs_page(request: HttpRequest) -> HttpResponse:
    targets = pacs_targets()
    choices = [(t.key, t.name) for t in targets]
    form = PacsSearchForm(request.GET or None, choices=choices)
    results, target = None, None
    if request.GET and form.is_valid():
        target = pacs_target(form.cleaned_data["pacs"])
        try:
            results = pacs_search(target=target, filters=form.filters())
        except PacsUnavailable as exc:
            messages.error(request, f"The PACS did not answer: {exc}")
    return render(
        request,
        "imaging/pacs.html",
        {"form": form, "results": results, "target": target, "has_targets": bool(targets)},
    )


@login_required
@permission_required(EDIT_CHART, raise_exception=True)
@require_POST
def pacs_pull(request: HttpRequest) -> HttpResponse:
    try:
        target = pacs_target(request.POST.get("pacs", ""))
        report = pacs_study_pull(
            target=target, study_uid=request.POST.get("study_uid", ""), acting_user=request.user
        )
    except (LookupError, PacsUnavailable) as exc:
        messages.error(request, f"Nothing pulled: {exc}")
        return redirect("imaging:pacs")
    return render(request, "imaging/upload.html", {"form": None, "report": report})
