"""WADO-RS (PS3.18 10.4): instances, series and studies as multipart/related application/dicom,
their metadata as DICOM JSON, and rendered frames; the request parameters they take."""

from collections.abc import Iterable

from django.http import Http404, QueryDict, StreamingHttpResponse
from django.utils.http import parse_header_parameters

from imaging.dicomweb.multipart import new_boundary, parts_write
from imaging.models import Instance, Study
from imaging.rendering import JPEG, MAX_VIEWPORT, PNG, WINDOW_FUNCTIONS, RenderOptions, Window
from imaging.storage import file_chunks

DICOM = "application/dicom"
DICOM_JSON = "application/dicom+json"
PIXEL_DATA = "7FE00010"


class NotAcceptable(Exception):
    """No media type the client accepts can be produced (406)."""


class BadParameter(Exception):
    """A malformed parameter (400)."""


def study_instances(study: Study, *, series_uid: str = "", sop_uid: str = "") -> list[Instance]:
    instances = Instance.objects.filter(series__study=study).select_related("series")
    if series_uid:
        instances = instances.filter(series__series_instance_uid=series_uid)
    if sop_uid:
        instances = instances.filter(sop_instance_uid=sop_uid)
    found = list(instances.order_by("series__series_number", "series_id", "instance_number", "pk"))
    if not found:
        raise Http404("no such series or instance in this study")
    return found


def accepted_types(accept: str) -> list[tuple[str, dict[str, str]]]:
    """The Accept header's media types, most preferred first."""
    ranked = []
    for position, item in enumerate(filter(None, (part.strip() for part in _split(accept)))):
        media_type, params = parse_header_parameters(item)
        try:
            quality = float(params.pop("q", "1"))
        except ValueError:
            quality = 1.0
        ranked.append((-quality, position, media_type.lower(), params))
    return [(media, params) for _, _, media, params in sorted(ranked)]


def _split(accept: str) -> list[str]:
    """Split on commas outside quotes (type="application/dicom" holds none, but be safe)."""
    items, current, quoted = [], "", False
    for ch in accept:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    return items


def require_dicom_accepted(accept: str) -> None:
    if not accept.strip():
        return
    for media_type, params in accepted_types(accept):
        if media_type in ("*/*", "multipart/*", DICOM):
            return
        if media_type == "multipart/related" and params.get("type", DICOM).lower() in (
            DICOM,
            "*/*",
        ):
            return
    raise NotAcceptable('this resource is served as multipart/related; type="application/dicom"')


def multipart_response(instances: Iterable[Instance]) -> StreamingHttpResponse:
    boundary = new_boundary()
    parts = (
        (
            f"{DICOM}; transfer-syntax={instance.transfer_syntax_uid}",
            instance.file_size,
            file_chunks(instance.file_path),
        )
        for instance in instances
    )
    return StreamingHttpResponse(
        parts_write(parts, boundary),
        content_type=f'multipart/related; type="{DICOM}"; boundary={boundary}',
    )


def metadata(instances: Iterable[Instance], base_url: str) -> list[dict]:
    """Each instance's header; the pixel data by reference (BulkDataURI: its frames)."""
    answers = []
    for instance in instances:
        header = dict(instance.header)
        if PIXEL_DATA in header and instance.has_pixels:
            frames = ",".join(str(n) for n in range(1, instance.number_of_frames + 1))
            header[PIXEL_DATA] = {
                "vr": header[PIXEL_DATA].get("vr", "OW"),
                "BulkDataURI": f"{instance_url(instance, base_url)}/frames/{frames}",
            }
        answers.append(header)
    return answers


def instance_url(instance: Instance, base_url: str) -> str:
    study_uid = instance.series.study.study_instance_uid
    return (
        f"{base_url}/studies/{study_uid}/series/{instance.series.series_instance_uid}"
        f"/instances/{instance.sop_instance_uid}"
    )


# -- rendered --------------------------------------------------------------------------------


def render_options(params: QueryDict, accept: str, frame: int) -> RenderOptions:
    """From `window=center,width[,function]`, `viewport=vw,vh`, `quality` and the Accept header
    (or the `accept` query parameter, for an <img> that cannot set headers)."""
    return RenderOptions(
        frame=frame,
        window=_window(params.get("window", "")),
        viewport=_viewport(params.get("viewport", "")),
        media_type=rendered_type(params.get("accept") or accept),
        quality=_quality(params.get("quality", "")),
    )


def rendered_type(accept: str) -> str:
    if not accept.strip():
        return JPEG
    for media_type, _ in accepted_types(accept):
        if media_type in (JPEG, PNG):
            return media_type
        if media_type in ("*/*", "image/*"):
            return JPEG
    raise NotAcceptable("rendered frames are served as image/jpeg or image/png")


def _window(text: str) -> Window | None:
    if not text:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        center, width = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        raise BadParameter(f"window must be center,width[,function], got {text!r}") from None
    function = parts[2].lower().replace("-", "_") if len(parts) > 2 else "linear"
    if function not in WINDOW_FUNCTIONS or width <= 0:
        raise BadParameter(f"window: width > 0 and a function of {WINDOW_FUNCTIONS}, got {text!r}")
    return Window(center, width, function)


def _viewport(text: str) -> tuple[int, int] | None:
    if not text:
        return None
    parts = text.split(",")
    if len(parts) < 2 or not all(p.strip().isdigit() for p in parts[:2]):
        raise BadParameter(f"viewport must be width,height in pixels, got {text!r}")
    width, height = int(parts[0]), int(parts[1])
    if not (0 < width <= MAX_VIEWPORT and 0 < height <= MAX_VIEWPORT):
        raise BadParameter(f"viewport dimensions must be 1-{MAX_VIEWPORT}")
    return width, height


def _quality(text: str) -> int:
    if not text:
        return 90
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise BadParameter("quality must be 1-100")
    return int(text)


def wado_uri_options(params: QueryDict, content_type: str) -> RenderOptions:
    """WADO-URI's own names: windowCenter/windowWidth, rows/columns, frameNumber, imageQuality."""
    window = None
    if params.get("windowCenter") and params.get("windowWidth"):
        window = _window(f"{params['windowCenter']},{params['windowWidth']}")
    rows, columns = params.get("rows", ""), params.get("columns", "")
    viewport = (
        _viewport(f"{columns or MAX_VIEWPORT},{rows or MAX_VIEWPORT}") if rows or columns else None
    )
    return RenderOptions(
        frame=frame_number(params.get("frameNumber", "1")),
        window=window,
        viewport=viewport,
        media_type=rendered_type(content_type),
        quality=_quality(params.get("imageQuality", "")),
    )


def frame_number(text: str) -> int:
    """One frame number from the URL (a list of several cannot be rendered as one image)."""
    if not text.isdigit() or int(text) < 1:
        raise BadParameter(f"rendered frames take one frame number (1, 2, ...), got {text!r}")
    return int(text)
