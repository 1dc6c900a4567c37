from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinical.chart.access import Chart, chart_view
from clinical.chart.header import active_encounter
from clinical.chart.rendering import after_write, render_chart
from clinical.fhir.writes import require_permission
from clinical.medications.forms import STOP_REASONS, ReconcileForm, StopForm
from clinical.medications.reconciliation import (
    CONTINUE,
    MODIFY,
    STOP,
    Decision,
    medication_reconcile,
)
from clinical.medications.selectors import (
    ACTIVE,
    PAST,
    medication_name,
    patient_medication_request,
    patient_medications,
    reconcile_items,
)
from clinical.medications.services import medication_stop
from clinical.pharmacy.live import stamped, unchanged
from clinical.roles import SIGN_ORDERS
from clinical.workspace_http import private_page, wants_fragment
from fhirapi.errors import FhirError, VersionConflict

PANEL = "clinical/_medications.html"
RECONCILE_PANEL = "clinical/_medication_reconcile.html"
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


@chart_view("medication reconciliation")
@require_http_methods(["GET", "POST"])
def medication_reconcile_view(request: HttpRequest, chart: Chart) -> HttpResponse:
    """Every active medication with continue / stop (reason) / modify; confirming writes the
    stops and the reconciliation List in one transaction."""
    require_permission(request.user, SIGN_ORDERS, "reconcile medications")
    items = reconcile_items(user=request.user, patient_id=chart.patient_id)
    form = ReconcileForm(request.POST if request.method == "POST" else None, items=items)
    if form.is_valid():
        encounter = active_encounter(user=request.user, patient_id=chart.patient_id)
        decisions = form.decisions()
        try:
            medication_reconcile(
                patient_id=chart.patient_id,
                decisions=decisions,
                encounter_id=encounter.encounter_id if encounter else None,
                acting_user=request.user,
            )
        except VersionConflict:
            form.add_error(None, "A medication changed meanwhile: review the list again.")
        except FhirError as exc:
            form.add_error(None, f"The reconciliation was not saved: {exc}")
        else:
            return after_write(
                request,
                chart,
                notice=_reconciled_notice(decisions),
                url_name="chart-medications",
                render_tab=lambda notice: _render(request, chart, notice),
            )
    return render_chart(
        request, chart, tab="medications", panel=RECONCILE_PANEL, context={"form": form}
    )


def _reconciled_notice(decisions: list[Decision]) -> str:
    count = {k: sum(d.decision == k for d in decisions) for k in (CONTINUE, STOP, MODIFY)}
    notice = (
        f"Medications reconciled: {count[CONTINUE]} continued, {count[STOP]} stopped, "
        f"{count[MODIFY]} to modify."
    )
    return notice + (" Order the changes in Orders." if count[MODIFY] else "")
