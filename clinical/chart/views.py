"""Summary, timeline, imaging and access-log tabs (the other tabs live with their domain)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from clinical.chart.access import Chart, chart_view
from clinical.chart.forms import TimelineForm
from clinical.chart.rendering import render_chart
from clinical.chart.summary import chart_summary
from clinical.chart.timeline import EVENT_TYPES, chart_timeline
from fhirapi.audit.selectors import patient_access_log


@chart_view("summary")
@require_GET
def summary(request: HttpRequest, chart: Chart) -> HttpResponse:
    context = {"summary": chart_summary(user=request.user, patient_id=chart.patient_id)}
    return render_chart(
        request, chart, tab="summary", panel="clinical/_summary.html", context=context
    )


@chart_view("timeline")
@require_GET
def timeline(request: HttpRequest, chart: Chart) -> HttpResponse:
    form = TimelineForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    found = chart_timeline(
        user=request.user,
        patient_id=chart.patient_id,
        types=filters.get("types") or [t.key for t in EVENT_TYPES],
        since=filters.get("since"),
        until=filters.get("until"),
        before=filters.get("before"),
    )
    older = None
    if found.older_than is not None:
        query = request.GET.copy()
        query["before"] = found.older_than.isoformat()
        older = query.urlencode()
    context = {
        "form": form if form.is_bound else TimelineForm(),
        "events": found.events,
        "older_query": older,
    }
    return render_chart(
        request, chart, tab="timeline", panel="clinical/_timeline.html", context=context
    )


@chart_view("access log")
@require_GET
def access_log(request: HttpRequest, chart: Chart) -> HttpResponse:
    context = {"entries": patient_access_log(patient_id=chart.patient_id)}
    return render_chart(
        request, chart, tab="access-log", panel="clinical/_access_log.html", context=context
    )


@chart_view("imaging")
@require_GET
def imaging(request: HttpRequest, chart: Chart) -> HttpResponse:
    context = {"studies": _imaging_studies(request, chart)}
    return render_chart(
        request, chart, tab="imaging", panel="clinical/_imaging.html", context=context
    )


def _imaging_studies(request: HttpRequest, chart: Chart):
    """The imaging helper's selector when it is installed; our own plain list otherwise."""
    try:
        from imaging.selectors import patient_studies
    except ImportError:
        from clinical.chart.timeline import imaging_studies

        return {"own": imaging_studies(user=request.user, patient_id=chart.patient_id)}
    return {"helper": patient_studies(user=request.user, patient_id=chart.patient_id)}
