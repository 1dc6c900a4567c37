from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods, require_POST

from clinical.chart.access import Chart, chart_view
from clinical.chart.rendering import after_write, render_chart
from clinical.encounters.forms import DISPOSITIONS, DischargeForm, EncounterStartForm
from clinical.encounters.selectors import location_choices, patient_encounter, patient_encounters
from clinical.encounters.services import encounter_discharge, encounter_start
from clinical.fhir.writes import require_permission
from clinical.roles import EDIT_CHART
from fhirapi.errors import VersionConflict

PANEL = "clinical/_encounters.html"


def _render(request: HttpRequest, chart: Chart, notice: str = "", **context) -> HttpResponse:
    if request.user.has_perm(EDIT_CHART) and "form" not in context:
        context["form"] = EncounterStartForm(locations=location_choices(user=request.user))
    context |= {
        "encounters": patient_encounters(user=request.user, patient_id=chart.patient_id),
        "dispositions": DISPOSITIONS,
        "notice": notice,
        "refresh_header": bool(notice),
    }
    return render_chart(request, chart, tab="encounters", panel=PANEL, context=context)


def _done(request: HttpRequest, chart: Chart, notice: str) -> HttpResponse:
    return after_write(
        request,
        chart,
        notice=notice,
        url_name="chart-encounters",
        render_tab=lambda text: _render(request, chart, text),
    )


@chart_view("encounters")
@require_http_methods(["GET", "POST"])
def encounters(request: HttpRequest, chart: Chart) -> HttpResponse:
    if request.method == "GET":
        return _render(request, chart)
    require_permission(request.user, EDIT_CHART, "start encounters")
    form = EncounterStartForm(request.POST, locations=location_choices(user=request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            encounter_start(
                patient_id=chart.patient_id,
                encounter_class=data["encounter_class"],
                encounter_type=data["encounter_type"],
                location_id=data["location"] or None,
                reason=data["reason"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _done(request, chart, "Encounter started: the patient is checked in.")
    return _render(request, chart, form=form)


@chart_view("encounter discharge")
@require_POST
def encounter_discharge_view(request: HttpRequest, chart: Chart, encounter_id: str) -> HttpResponse:
    require_permission(request.user, EDIT_CHART, "discharge patients")
    encounter = patient_encounter(
        user=request.user, patient_id=chart.patient_id, encounter_id=encounter_id
    )
    if encounter is None:
        raise Http404("No such encounter in this chart.")
    form = DischargeForm(request.POST)
    if form.is_valid():
        try:
            encounter_discharge(
                patient_id=chart.patient_id,
                encounter=encounter,
                disposition=form.cleaned_data["disposition"],
                acting_user=request.user,
            )
        except (ValidationError, VersionConflict) as exc:
            form.add_error(None, getattr(exc, "messages", [str(exc)])[0])
        else:
            return _done(request, chart, "Patient discharged.")
    return _render(request, chart, discharge_errors=form.errors, discharge_target=encounter_id)
