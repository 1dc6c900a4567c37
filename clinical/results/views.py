from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from clinical.chart.access import Chart, chart_view
from clinical.chart.rendering import after_write, render_chart
from clinical.fhir.display import parse_datetime
from clinical.fhir.writes import require_permission
from clinical.results.inbox import results_inbox
from clinical.results.selectors import analyte_trend, grouped_results, patient_observation
from clinical.results.services import result_acknowledge
from clinical.roles import SIGN_ORDERS, VIEW_CHART
from clinical.workspace_http import private_page, wants_fragment
from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.services import audit_record
from fhirapi.errors import VersionConflict

PANEL = "clinical/_results.html"


def _render(request: HttpRequest, chart: Chart, notice: str = "", **context) -> HttpResponse:
    before = parse_datetime(request.GET.get("before", "")) if request.method == "GET" else None
    page = grouped_results(user=request.user, patient_id=chart.patient_id, before=before)
    context |= {"page": page, "groups": page.groups, "before": before, "notice": notice}
    return render_chart(request, chart, tab="results", panel=PANEL, context=context)


@chart_view("results")
@require_GET
def results(request: HttpRequest, chart: Chart) -> HttpResponse:
    return _render(request, chart)


@chart_view("result trend")
@require_GET
def result_trend(request: HttpRequest, chart: Chart, code: str) -> HttpResponse:
    rows, trend = analyte_trend(user=request.user, patient_id=chart.patient_id, code=code)
    context = {"rows": rows, "trend": trend, "code": code}
    return render_chart(
        request, chart, tab="results", panel="clinical/_result_trend.html", context=context
    )


@chart_view("result acknowledge")
@require_POST
def result_acknowledge_view(
    request: HttpRequest, chart: Chart, observation_id: str
) -> HttpResponse:
    require_permission(request.user, SIGN_ORDERS, "acknowledge results")
    observation = patient_observation(
        user=request.user, patient_id=chart.patient_id, observation_id=observation_id
    )
    if observation is None:
        raise Http404("No such result in this chart.")
    try:
        result_acknowledge(
            patient_id=chart.patient_id, observation=observation, acting_user=request.user
        )
    except (ValidationError, VersionConflict, PermissionDenied) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        return _render(request, chart, ack_error=message, ack_target=observation_id)
    return after_write(
        request,
        chart,
        notice="Result acknowledged.",
        url_name="chart-results",
        render_tab=lambda notice: _render(request, chart, notice),
    )


@login_required
@permission_required(VIEW_CHART, raise_exception=True)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    items = results_inbox(user=request.user)
    audit_record(
        kind=REST_KINDS["search-type"],
        username=request.user.get_username(),
        resource_type="Observation",
        query="inbox",
        description=f"workspace results inbox ({len(items)} results)",
    )
    live = wants_fragment(request, "inbox-results")  # its live refresh
    page = "clinical/_inbox.html" if live else "clinical/inbox.html"
    return private_page(render(request, page, {"items": items}))
