"""DICOMweb over HTTP: QIDO-RS, WADO-RS, STOW-RS and WADO-URI. Thin: parsing and answers live in
qido.py, wado.py, stow.py; access in imaging/access.py; every view behind dicomweb_endpoint."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_http_methods

from imaging.access import may_add_images, study_for_user, visible_studies
from imaging.audit import image_access_audit, image_query_audit
from imaging.dicomweb import qido, wado
from imaging.dicomweb.endpoint import dicomweb_base, dicomweb_endpoint, error_response
from imaging.dicomweb.frames import frame_numbers, frames_read
from imaging.dicomweb.multipart import new_boundary, parts_write
from imaging.dicomweb.stow import spooled_body, stow_answer, stow_parts
from imaging.models import Instance, Series
from imaging.rendering import RenderOptions, frame_render
from imaging.services.ingest import dicom_ingest
from imaging.storage import file_chunks

# -- QIDO-RS ---------------------------------------------------------------------------------


@dicomweb_endpoint
@require_http_methods(["GET", "POST"])
def studies(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _stow(request, study_uid="")
    query = qido.qido_query(request.GET, level=qido.STUDY)
    results = qido.study_results(visible_studies(request.user), query, dicomweb_base(request))
    return _qido_response(request, query, results)


@dicomweb_endpoint
@require_GET
def series_search(request: HttpRequest, study_uid: str = "") -> HttpResponse:
    series = Series.objects.filter(study__in=visible_studies(request.user))
    if study_uid:
        series = series.filter(study=study_for_user(user=request.user, study_uid=study_uid))
    query = qido.qido_query(request.GET, level=qido.SERIES)
    return _qido_response(
        request, query, qido.series_results(series, query, dicomweb_base(request))
    )


@dicomweb_endpoint
@require_GET
def instances_search(
    request: HttpRequest, study_uid: str = "", series_uid: str = ""
) -> HttpResponse:
    instances = Instance.objects.filter(series__study__in=visible_studies(request.user))
    if study_uid:
        instances = instances.filter(
            series__study=study_for_user(user=request.user, study_uid=study_uid)
        )
    if series_uid:
        instances = instances.filter(series__series_instance_uid=series_uid)
    query = qido.qido_query(request.GET, level=qido.INSTANCE)
    results = qido.instance_results(instances, query, dicomweb_base(request))
    return _qido_response(request, query, results)


def _qido_response(
    request: HttpRequest, query: qido.QidoQuery, results: list[dict]
) -> HttpResponse:
    image_query_audit(user=request.user, level=query.level, query=request.GET.urlencode())
    response = JsonResponse(results, safe=False, content_type=wado.DICOM_JSON)
    if query.warnings:
        response.headers["Warning"] = ", ".join(f'299 wintehr "{w}"' for w in query.warnings)
    return response


# -- STOW-RS ---------------------------------------------------------------------------------


def _stow(request: HttpRequest, *, study_uid: str) -> HttpResponse:
    if not may_add_images(request.user):
        return error_response(403, "storing images needs the right to document in charts")
    with spooled_body(request) as body:
        report = dicom_ingest(
            files=stow_parts(body, request.META.get("CONTENT_TYPE", "")),
            acting_user=request.user,
            source="STOW-RS",
            expected_study_uid=study_uid,
        )
    status, answer = stow_answer(report, base_url=dicomweb_base(request), study_uid=study_uid)
    return JsonResponse(answer, status=status, content_type=wado.DICOM_JSON)


# -- WADO-RS ---------------------------------------------------------------------------------


@dicomweb_endpoint
@require_http_methods(["GET", "POST"])
def study_retrieve(request: HttpRequest, study_uid: str) -> HttpResponse:
    if request.method == "POST":
        return _stow(request, study_uid=study_uid)
    return _retrieve(request, study_uid)


@dicomweb_endpoint
@require_GET
def series_retrieve(request: HttpRequest, study_uid: str, series_uid: str) -> HttpResponse:
    return _retrieve(request, study_uid, series_uid=series_uid)


@dicomweb_endpoint
@require_GET
def instance_retrieve(
    request: HttpRequest, study_uid: str, series_uid: str, sop_uid: str
) -> HttpResponse:
    return _retrieve(request, study_uid, series_uid=series_uid, sop_uid=sop_uid)


def _retrieve(request: HttpRequest, study_uid: str, **within: str) -> HttpResponse:
    wado.require_dicom_accepted(request.headers.get("Accept", ""))
    study = study_for_user(user=request.user, study_uid=study_uid)
    instances = wado.study_instances(study, **within)
    image_access_audit(user=request.user, study=study, description="WADO-RS retrieve")
    return wado.multipart_response(instances)


@dicomweb_endpoint
@require_GET
def metadata(
    request: HttpRequest, study_uid: str, series_uid: str = "", sop_uid: str = ""
) -> HttpResponse:
    study = study_for_user(user=request.user, study_uid=study_uid)
    instances = wado.study_instances(study, series_uid=series_uid, sop_uid=sop_uid)
    image_access_audit(user=request.user, study=study, description="WADO-RS metadata")
    answers = wado.metadata(instances, dicomweb_base(request))
    return JsonResponse(answers, safe=False, content_type=wado.DICOM_JSON)


@dicomweb_endpoint
@require_GET
def frames_retrieve(
    request: HttpRequest, study_uid: str, series_uid: str, sop_uid: str, frames: str
) -> HttpResponse:
    study = study_for_user(user=request.user, study_uid=study_uid)
    instance = wado.study_instances(study, series_uid=series_uid, sop_uid=sop_uid)[0]
    image_access_audit(user=request.user, study=study, description="WADO-RS frames")
    media_type, chunks = frames_read(instance, frame_numbers(frames, instance.number_of_frames))
    boundary = new_boundary()
    parts = ((media_type, len(chunk), [chunk]) for chunk in chunks)
    return HttpResponse(
        b"".join(parts_write(parts, boundary)),
        content_type=f'multipart/related; type="{media_type}"; boundary={boundary}',
    )


@dicomweb_endpoint
@require_GET
def rendered(
    request: HttpRequest, study_uid: str, series_uid: str, sop_uid: str, frame: str = "1"
) -> HttpResponse:
    """An instance's rendered image is its first frame; /frames/{n}/rendered any one frame."""
    options = wado.render_options(
        request.GET, request.headers.get("Accept", ""), wado.frame_number(frame)
    )
    study = study_for_user(user=request.user, study_uid=study_uid)
    instance = wado.study_instances(study, series_uid=series_uid, sop_uid=sop_uid)[0]
    image_access_audit(user=request.user, study=study, description="rendered frames")
    return _rendered_response(instance, options)


def _rendered_response(instance: Instance, options: RenderOptions) -> HttpResponse:
    frame = frame_render(instance, options)
    response = HttpResponse(frame.data, content_type=frame.media_type)
    response["Cache-Control"] = "private, max-age=3600"
    if frame.window:
        response["X-Window"] = frame.window.as_text()
        response["Access-Control-Expose-Headers"] = "X-Window"
    return response


# -- WADO-URI --------------------------------------------------------------------------------


@dicomweb_endpoint
@require_GET
def wado_uri(request: HttpRequest) -> HttpResponse:
    """PS3.18 9: ?requestType=WADO&studyUID=&seriesUID=&objectUID=[&contentType=][&frameNumber=]
    [&windowCenter=&windowWidth=][&rows=&columns=]."""
    params = request.GET
    if params.get("requestType") != "WADO":
        return error_response(400, "requestType must be WADO")
    missing = [k for k in ("studyUID", "seriesUID", "objectUID") if not params.get(k)]
    if missing:
        return error_response(400, f"missing {', '.join(missing)}")
    study = study_for_user(user=request.user, study_uid=params["studyUID"])
    instance = wado.study_instances(
        study, series_uid=params["seriesUID"], sop_uid=params["objectUID"]
    )[0]
    content_type = params.get("contentType", "image/jpeg").split(",")[0].strip()
    image_access_audit(user=request.user, study=study, description="WADO-URI")
    if content_type == wado.DICOM:
        response = HttpResponse(content_type=wado.DICOM)
        response.content = b"".join(file_chunks(instance.file_path))
        return response
    return _rendered_response(instance, wado.wado_uri_options(params, content_type))
