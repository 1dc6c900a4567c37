"""The summary's patient-view cards (a fragment loaded after the page) and acting on them."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clinical.cds_cards.review import review_accept, review_override
from clinical.cds_cards.services import patient_view_cards
from clinical.cds_cards.store import cards_for, cards_keep
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
    shown, error = review_accept(
        session=request.session,
        patient_id=chart.patient_id,
        context=PATIENT_VIEW,
        data=request.POST,
        acting_user=request.user,
    )
    notice = "" if error else f"Done: {shown.card.get('summary', 'suggestion accepted')}."
    cards = cards_for(session=request.session, patient_id=chart.patient_id, context=PATIENT_VIEW)
    return _cards_response(request, chart, cards, error=error, notice=notice)


@chart_view("decision support override")
@require_POST
def cds_override(request: HttpRequest, chart: Chart) -> HttpResponse:
    require_permission(request.user, EDIT_CHART, "act on decision support")
    shown, error = review_override(
        session=request.session,
        patient_id=chart.patient_id,
        context=PATIENT_VIEW,
        data=request.POST,
        acting_user=request.user,
    )
    notice = "" if error else f"Overridden: {shown.card.get('summary', 'card')}."
    cards = cards_for(session=request.session, patient_id=chart.patient_id, context=PATIENT_VIEW)
    return _cards_response(request, chart, cards, error=error, notice=notice)
