from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clinical.cds_cards.review import (
    overrides_from_post,
    overrides_record,
    review_accept,
    review_cards,
)
from clinical.cds_cards.services import encounter_discharge_cards
from clinical.chart.access import Chart, chart_view
from clinical.chart.rendering import after_write, render_chart
from clinical.encounters.forms import DischargeForm, EncounterStartForm
from clinical.encounters.selectors import location_choices, patient_encounter, patient_encounters
from clinical.encounters.services import encounter_discharge, encounter_start
from clinical.fhir.writes import require_permission
from clinical.roles import EDIT_CHART
from fhirapi.errors import VersionConflict

PANEL = "clinical/_encounters.html"
REVIEW_PANEL = "clinical/_discharge_review.html"


def _render(request: HttpRequest, chart: Chart, notice: str = "", **context) -> HttpResponse:
    if request.user.has_perm(EDIT_CHART) and "form" not in context:
        context["form"] = EncounterStartForm(locations=location_choices(user=request.user))
    context |= {
        "encounters": patient_encounters(user=request.user, patient_id=chart.patient_id),
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
@require_http_methods(["GET", "POST"])
def encounter_discharge_view(request: HttpRequest, chart: Chart, encounter_id: str) -> HttpResponse:
    """GET: the discharge review (encounter-discharge cards, disposition); POST: discharge, once
    every warning card is overridden with a reason."""
    require_permission(request.user, EDIT_CHART, "discharge patients")
    encounter = _encounter(request, chart, encounter_id)
    if request.method == "GET":
        return _discharge_review(request, chart, encounter_id, DischargeForm(), run_hooks=True)
    form = DischargeForm(request.POST)
    cards, _ = review_cards(
        session=request.session,
        patient_id=chart.patient_id,
        context=_discharge_context(encounter_id),
        call=None,
    )
    overrides, card_errors = overrides_from_post(request.POST, cards)
    if form.is_valid() and not card_errors:
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
            overrides_record(
                session=request.session,
                patient_id=chart.patient_id,
                overrides=overrides,
                acting_user=request.user,
            )
            return _done(request, chart, "Patient discharged.")
    return _discharge_review(
        request, chart, encounter_id, form, run_hooks=False, card_errors=card_errors
    )


@chart_view("discharge decision support accept")
@require_POST
def discharge_accept(request: HttpRequest, chart: Chart, encounter_id: str) -> HttpResponse:
    """Accept a suggestion of a discharge card (its actions in one transaction), then review
    the discharge again with fresh cards."""
    require_permission(request.user, EDIT_CHART, "act on discharge alerts")
    _encounter(request, chart, encounter_id)
    shown, error = review_accept(
        session=request.session,
        patient_id=chart.patient_id,
        context=_discharge_context(encounter_id),
        data=request.POST,
        acting_user=request.user,
    )
    if shown is not None and error:
        return _discharge_review(
            request,
            chart,
            encounter_id,
            DischargeForm(),
            run_hooks=False,
            card_errors={shown.key: error},
        )
    notice = f"Suggestion accepted: {shown.card.get('summary', '')}." if shown else error
    return _discharge_review(
        request, chart, encounter_id, DischargeForm(), run_hooks=True, notice=notice
    )


def _encounter(request: HttpRequest, chart: Chart, encounter_id: str) -> dict:
    encounter = patient_encounter(
        user=request.user, patient_id=chart.patient_id, encounter_id=encounter_id
    )
    if encounter is None:
        raise Http404("No such encounter in this chart.")
    return encounter


def _discharge_context(encounter_id: str) -> str:
    return f"encounter-discharge:{encounter_id}"


def _discharge_review(
    request: HttpRequest,
    chart: Chart,
    encounter_id: str,
    form: DischargeForm,
    *,
    run_hooks: bool,
    card_errors: dict[str, str] | None = None,
    notice: str = "",
) -> HttpResponse:
    def call():
        return encounter_discharge_cards(
            user=request.user, patient_id=chart.patient_id, encounter_id=encounter_id
        )

    cards, failures = review_cards(
        session=request.session,
        patient_id=chart.patient_id,
        context=_discharge_context(encounter_id),
        call=call if run_hooks else None,
    )
    context = {
        "encounter_id": encounter_id,
        "form": form,
        "cards": cards,
        "failures": failures,
        "errors": card_errors or {},
        "notice": notice,
        "accept_url": reverse(
            "chart-discharge-accept",
            kwargs={"patient_id": chart.patient_id, "encounter_id": encounter_id},
        ),
        "cards_target": "#chart-body",
    }
    return render_chart(request, chart, tab="encounters", panel=REVIEW_PANEL, context=context)
