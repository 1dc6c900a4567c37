"""The summary's patient-view cards (a fragment loaded after the page) and acting on them."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clinical.cds_cards.forms import AcceptForm, OverrideForm, reason_coding
from clinical.cds_cards.services import card_accept, card_override, patient_view_cards
from clinical.cds_cards.store import card_find, card_forget, cards_for, cards_keep
from clinical.chart.access import Chart, chart_view
from clinical.chart.rendering import render_chart
from clinical.fhir.writes import require_permission
from clinical.roles import EDIT_CHART
from clinical.workspace_http import private_page, wants_fragment

PATIENT_VIEW = "patient-view"


def _cards_response(request: HttpRequest, chart: Chart, cards, **context) -> HttpResponse:
    context |= {
        "cards": cards,
        "chart": chart,
        "accept_url": reverse("chart-cds-accept", kwargs={"patient_id": chart.patient_id}),
        "override_url": reverse("chart-cds-override", kwargs={"patient_id": chart.patient_id}),
    }
    if wants_fragment(request):
        return private_page(render(request, "clinical/_cds_cards.html", context))
    return render_chart(
        request, chart, tab="summary", panel="clinical/_cds_cards.html", context=context
    )


@chart_view("decision support")
@require_GET
def cds_cards(request: HttpRequest, chart: Chart) -> HttpResponse:
    results = patient_view_cards(user=request.user, patient_id=chart.patient_id)
    cards = cards_keep(
        session=request.session, patient_id=chart.patient_id, context=PATIENT_VIEW, results=results
    )
    failures = [r for r in results if r.failed]
    return _cards_response(request, chart, cards, failures=failures)


@chart_view("decision support accept")
@require_POST
def cds_accept(request: HttpRequest, chart: Chart) -> HttpResponse:
    require_permission(request.user, EDIT_CHART, "act on decision support")
    form = AcceptForm(request.POST)
    error = notice = ""
    shown = card_find(
        session=request.session, patient_id=chart.patient_id, key=request.POST.get("card", "")
    )
    if not form.is_valid() or shown is None:
        error = "That card is no longer shown: reload the summary."
    else:
        try:
            card_accept(
                patient_id=chart.patient_id,
                result=shown.result,
                suggestion_uuid=form.cleaned_data["suggestion"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            card_forget(session=request.session, key=shown.key)
            notice = f"Done: {shown.card.get('summary', 'suggestion accepted')}."
    cards = cards_for(session=request.session, patient_id=chart.patient_id, context=PATIENT_VIEW)
    return _cards_response(request, chart, cards, error=error, notice=notice)


@chart_view("decision support override")
@require_POST
def cds_override(request: HttpRequest, chart: Chart) -> HttpResponse:
    require_permission(request.user, EDIT_CHART, "act on decision support")
    form = OverrideForm(request.POST)
    error = notice = ""
    shown = card_find(
        session=request.session, patient_id=chart.patient_id, key=request.POST.get("card", "")
    )
    if shown is None:
        error = "That card is no longer shown: reload the summary."
    elif not form.is_valid():
        error = " ".join(form.non_field_errors()) or "Give a reason for overriding this card."
    else:
        card_override(
            patient_id=chart.patient_id,
            result=shown.result,
            reason=reason_coding(shown, form.cleaned_data["reason"]),
            comment=form.cleaned_data["comment"],
            acting_user=request.user,
        )
        card_forget(session=request.session, key=shown.key)
        notice = f"Overridden: {shown.card.get('summary', 'card')}."
    cards = cards_for(session=request.session, patient_id=chart.patient_id, context=PATIENT_VIEW)
    return _cards_response(request, chart, cards, error=error, notice=notice)
