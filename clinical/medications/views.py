from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from clinical.chart.access import Chart, chart_view
from clinical.chart.rendering import after_write, render_chart
from clinical.fhir.writes import require_permission
from clinical.medications.forms import STOP_REASONS, StopForm
from clinical.medications.selectors import (
    ACTIVE,
    PAST,
    medication_name,
    patient_medication_request,
    patient_medications,
)
from clinical.medications.services import medication_stop
from clinical.pharmacy.live import stamped, unchanged
from clinical.roles import SIGN_ORDERS
from clinical.workspace_http import private_page, wants_fragment
from fhirapi.errors import VersionConflict

PANEL = "clinical/_medications.html"
LIVE = "medications-live"  # the tables, re-fetched when the chart changes


def _render(request: HttpRequest, chart: Chart, notice: str = "", **context) -> HttpResponse:
    user, patient_id = request.user, chart.patient_id
    context |= {
        "chart": chart,
        "active": patient_medications(user=user, patient_id=patient_id, statuses=ACTIVE),
        "past": patient_medications(user=user, patient_id=patient_id, statuses=PAST),
        "notice": notice,
        "stop_reasons": STOP_REASONS,
    }
    context["medications_body"], context["stamp"] = stamped(
        request, "clinical/_medications_body.html", context
    )
    if wants_fragment(request, LIVE):
        if response := unchanged(request, context["stamp"]):
            return response
        return private_page(render(request, "clinical/_medications_live.html", context))
    return render_chart(request, chart, tab="medications", panel=PANEL, context=context)


@chart_view("medications")
@require_GET
def medications(request: HttpRequest, chart: Chart) -> HttpResponse:
    return _render(request, chart)


@chart_view("medication stop")
@require_POST
def medication_stop_view(request: HttpRequest, chart: Chart, request_id: str) -> HttpResponse:
    require_permission(request.user, SIGN_ORDERS, "stop medications")
    medication = patient_medication_request(
        user=request.user, patient_id=chart.patient_id, request_id=request_id
    )
    if medication is None:
        raise Http404("No such medication in this chart.")
    form = StopForm(request.POST)
    if form.is_valid():
        try:
            medication_stop(
                patient_id=chart.patient_id,
                request=medication,
                reason_code=form.cleaned_data["reason"],
                reason_display=form.reason_display(),
                comment=form.cleaned_data["comment"],
                acting_user=request.user,
            )
        except (ValidationError, VersionConflict) as exc:
            form.add_error(None, getattr(exc, "messages", [str(exc)])[0])
        else:
            return after_write(
                request,
                chart,
                notice=f"Stopped: {medication_name(medication)}.",
                url_name="chart-medications",
                render_tab=lambda notice: _render(request, chart, notice),
            )
    return _render(request, chart, stop_form=form, stop_target=request_id)
