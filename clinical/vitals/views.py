from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clinical.chart.access import Chart, chart_view
from clinical.chart.header import active_encounter
from clinical.chart.rendering import after_write, render_chart
from clinical.roles import EDIT_CHART
from clinical.vitals.charts import vitals_charts
from clinical.vitals.definitions import ALL_KINDS
from clinical.vitals.forms import VitalsForm
from clinical.vitals.selectors import patient_vitals
from clinical.vitals.services import vitals_record

RECORDED = "Vital signs recorded."


@chart_view("vitals")
@require_http_methods(["GET", "POST"])
def vitals(request: HttpRequest, chart: Chart) -> HttpResponse:
    if request.method == "GET":
        return _render(request, chart, VitalsForm())
    if not request.user.has_perm(EDIT_CHART):
        raise PermissionDenied("Recording vital signs needs a clinical role.")
    form = VitalsForm(request.POST)
    if not form.is_valid():
        return _render(request, chart, form)
    encounter = active_encounter(user=request.user, patient_id=chart.patient_id)
    vitals_record(
        patient_id=chart.patient_id,
        values=form.cleaned_data["values"],
        taken_at=form.cleaned_data["taken_at"] or timezone.now(),
        encounter_id=encounter.encounter_id if encounter else None,
        acting_user=request.user,
    )
    return after_write(
        request,
        chart,
        notice=RECORDED,
        url_name="chart-vitals",
        render_tab=lambda notice: _render(request, chart, VitalsForm(), notice),
    )


def _render(request: HttpRequest, chart: Chart, form: VitalsForm, notice: str = "") -> HttpResponse:
    found = patient_vitals(user=request.user, patient_id=chart.patient_id)
    context = {
        "form": form,
        "notice": notice,
        "kinds": ALL_KINDS,
        "sets": found.sets(),
        "charts": vitals_charts(found),
    }
    return render_chart(
        request, chart, tab="vitals", panel="clinical/_vitals.html", context=context
    )
