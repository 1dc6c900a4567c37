from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clinical.cds_cards.review import (
    overrides_from_post,
    overrides_record,
    review_accept,
    review_cards,
    review_override,
)
from clinical.cds_cards.services import ORDER_SELECT, order_select_cards, order_sign_cards
from clinical.cds_cards.store import cards_for, cards_keep
from clinical.chart.access import Chart, chart_view
from clinical.chart.header import active_encounter
from clinical.chart.rendering import after_write, render_chart
from clinical.fhir.practitioners import practitioner_reference
from clinical.fhir.writes import require_permission
from clinical.orders.forms import MedicationOrderForm, ServiceOrderForm
from clinical.orders.selectors import order_row, patient_order, patient_orders
from clinical.orders.services import (
    dosage_instruction,
    medication_order_draft,
    medication_order_resource,
    order_discard,
    order_name,
    order_sign,
    service_order_draft,
)
from clinical.roles import SIGN_ORDERS
from clinical.workspace_http import private_page
from fhirapi.errors import VersionConflict

KINDS = ("medication", "lab-tests", "imaging")


def _forms(data=None, kind: str = "") -> dict:
    return {
        "medication_form": MedicationOrderForm(data if kind == "medication" else None),
        "lab_form": ServiceOrderForm(data if kind == "lab-tests" else None, kind="lab-tests"),
        "imaging_form": ServiceOrderForm(data if kind == "imaging" else None, kind="imaging"),
    }


def _render(request: HttpRequest, chart: Chart, notice: str = "", **context) -> HttpResponse:
    user, patient_id = request.user, chart.patient_id
    if "medication_form" not in context:
        context |= _forms()
    context |= {
        "drafts": patient_orders(user=user, patient_id=patient_id, statuses=("draft",)),
        "active_orders": patient_orders(
            user=user, patient_id=patient_id, statuses=("active", "on-hold")
        ),
        "notice": notice,
        "open_kind": context.get("open_kind", ""),
    }
    return render_chart(
        request, chart, tab="orders", panel="clinical/_orders.html", context=context
    )


@chart_view("orders")
@require_http_methods(["GET", "POST"])
def orders(request: HttpRequest, chart: Chart) -> HttpResponse:
    if request.method == "GET":
        return _render(request, chart)
    require_permission(request.user, SIGN_ORDERS, "place orders")
    kind = request.POST.get("order_kind", "")
    if kind not in KINDS:
        raise Http404("Unknown kind of order.")
    forms = _forms(request.POST, kind)
    form = forms[
        "medication_form"
        if kind == "medication"
        else "lab_form"
        if kind == "lab-tests"
        else "imaging_form"
    ]
    if not form.is_valid():
        return _render(request, chart, open_kind=kind, **forms)
    encounter = active_encounter(user=request.user, patient_id=chart.patient_id)
    encounter_id = encounter.encounter_id if encounter else None
    data = form.cleaned_data
    if kind == "medication":
        order_id = medication_order_draft(
            patient_id=chart.patient_id,
            drug=data["drug"],
            dosage=_dosage(data),
            duration_days=data["duration_days"],
            encounter_id=encounter_id,
            acting_user=request.user,
        )
        resource_type = "MedicationRequest"
    else:
        order_id = service_order_draft(
            patient_id=chart.patient_id,
            kind=kind,
            item=data["code"],
            priority=data["priority"],
            reason=data["reason"],
            encounter_id=encounter_id,
            acting_user=request.user,
        )
        resource_type = "ServiceRequest"
    return after_write(
        request,
        chart,
        notice="Draft saved: review it, then sign.",
        url_name="chart-order-review",
        render_tab=lambda notice: _review(
            request,
            chart,
            _order(request, chart, resource_type, order_id),
            notice=notice,
            run_hooks=True,
        ),
        resource_type=resource_type,
        order_id=order_id,
    )


def _dosage(data: dict) -> dict:
    return dosage_instruction(
        dose=data["dose"],
        unit=data["dose_unit"],
        route_key=data["route"],
        frequency_key=data["frequency"],
        note=data["note"],
    )


@chart_view("order decision support while composing")
@require_POST
def order_select(request: HttpRequest, chart: Chart) -> HttpResponse:
    """The order-select cards of the medication order being composed (the form's fields, posted
    by HTMX on change); the order is not stored. An incomplete form gets no cards yet."""
    require_permission(request.user, SIGN_ORDERS, "place orders")
    form = MedicationOrderForm(request.POST)
    if not form.is_valid():
        return _composing_cards(request, chart, cards=None)
    data = form.cleaned_data
    encounter = active_encounter(user=request.user, patient_id=chart.patient_id)
    draft = medication_order_resource(
        patient_id=chart.patient_id,
        drug=data["drug"],
        dosage=_dosage(data),
        duration_days=data["duration_days"],
        encounter_id=encounter.encounter_id if encounter else None,
        requester=practitioner_reference(request.user),
    )
    results = order_select_cards(user=request.user, patient_id=chart.patient_id, draft=draft)
    cards = cards_keep(
        session=request.session, patient_id=chart.patient_id, context=ORDER_SELECT, results=results
    )
    return _composing_cards(request, chart, cards=cards, failures=[r for r in results if r.failed])


@chart_view("order decision support accept while composing")
@require_POST
def order_select_accept(request: HttpRequest, chart: Chart) -> HttpResponse:
    """Accept a suggestion of a card shown while composing: it takes the place of the order
    being composed (cancelled, or saved changed as a draft), so the tab is drawn afresh."""
    require_permission(request.user, SIGN_ORDERS, "act on order alerts")
    shown, error = review_accept(
        session=request.session,
        patient_id=chart.patient_id,
        context=ORDER_SELECT,
        data=request.POST,
        acting_user=request.user,
    )
    if error:
        return _render(request, chart, notice=error)
    return after_write(
        request,
        chart,
        notice=f"Suggestion accepted: {shown.card.get('summary', '')}.",
        url_name="chart-orders",
        render_tab=lambda notice: _render(request, chart, notice),
    )


@chart_view("order decision support override while composing")
@require_POST
def order_select_override(request: HttpRequest, chart: Chart) -> HttpResponse:
    require_permission(request.user, SIGN_ORDERS, "act on order alerts")
    shown, error = review_override(
        session=request.session,
        patient_id=chart.patient_id,
        context=ORDER_SELECT,
        data=request.POST,
        acting_user=request.user,
    )
    notice = "" if error else f"Overridden: {shown.card.get('summary', 'card')}."
    cards = cards_for(session=request.session, patient_id=chart.patient_id, context=ORDER_SELECT)
    return _composing_cards(request, chart, cards=cards, error=error, notice=notice)


def _composing_cards(request: HttpRequest, chart: Chart, **context) -> HttpResponse:
    """The order-select cards beside the medication form: a suggestion accepted redraws the
    tab, an override only the cards."""
    kwargs = {"patient_id": chart.patient_id}
    context |= {
        "accept_url": reverse("chart-order-select-accept", kwargs=kwargs),
        "override_url": reverse("chart-order-select-override", kwargs=kwargs),
        "accept_target": "#chart-body",
        "cards_target": "#order-select-cards",
    }
    return private_page(render(request, "clinical/_order_select.html", context))


def _sign_context(resource_type: str, order_id: str) -> str:
    return f"order-sign:{resource_type}/{order_id}"


def _review(request, chart, order, *, notice="", errors=None, run_hooks: bool) -> HttpResponse:
    def call():
        return order_sign_cards(user=request.user, patient_id=chart.patient_id, drafts=[order])

    cards, failures = review_cards(
        session=request.session,
        patient_id=chart.patient_id,
        context=_sign_context(order["resourceType"], order["id"]),
        call=call if run_hooks else None,
    )
    kwargs = {
        "patient_id": chart.patient_id,
        "resource_type": order["resourceType"],
        "order_id": order["id"],
    }
    context = {
        "order": order_row(order),
        "cards": cards,
        "failures": failures,
        "errors": errors or {},
        "notice": notice,
        "accept_url": reverse("chart-order-accept", kwargs=kwargs),
        "cards_target": "#chart-body",
    }
    return render_chart(
        request, chart, tab="orders", panel="clinical/_order_review.html", context=context
    )


@chart_view("order review")
@require_http_methods(["GET", "POST"])
def order_review(
    request: HttpRequest, chart: Chart, resource_type: str, order_id: str
) -> HttpResponse:
    order = _order(request, chart, resource_type, order_id)
    if order.get("status") != "draft":
        return render_chart(
            request,
            chart,
            tab="orders",
            panel="clinical/_order_done.html",
            context={"order": order_row(order)},
        )
    if request.method == "GET":
        return _review(request, chart, order, run_hooks=True)
    require_permission(request.user, SIGN_ORDERS, "sign orders")
    context_key = _sign_context(resource_type, order_id)
    cards = cards_for(session=request.session, patient_id=chart.patient_id, context=context_key)
    overrides, errors = overrides_from_post(request.POST, cards)
    if errors:
        return _review(request, chart, order, errors=errors, run_hooks=False)
    try:
        order_sign(patient_id=chart.patient_id, order=order, acting_user=request.user)
    except (ValidationError, VersionConflict) as exc:
        return _review(request, chart, order, errors={"sign": str(exc)}, run_hooks=False)
    overrides_record(
        session=request.session,
        patient_id=chart.patient_id,
        overrides=overrides,
        acting_user=request.user,
    )
    medication = resource_type == "MedicationRequest"
    return after_write(
        request,
        chart,
        notice=f"Order signed: {order_name(order)}.",
        url_name="chart-medications" if medication else "chart-orders",
        render_tab=lambda notice: _after_sign(request, chart, medication, notice),
    )


def _after_sign(request, chart, medication: bool, notice: str) -> HttpResponse:
    if medication:
        from clinical.medications.views import _render as medications_render

        return medications_render(request, chart, notice)
    return _render(request, chart, notice)


@chart_view("order decision support accept")
@require_POST
def order_accept(
    request: HttpRequest, chart: Chart, resource_type: str, order_id: str
) -> HttpResponse:
    require_permission(request.user, SIGN_ORDERS, "act on order alerts")
    order = _order(request, chart, resource_type, order_id)
    shown, error = review_accept(
        session=request.session,
        patient_id=chart.patient_id,
        context=_sign_context(resource_type, order_id),
        data=request.POST,
        acting_user=request.user,
    )
    if shown is None:
        return _review(request, chart, order, notice=error, run_hooks=True)
    if error:
        return _review(request, chart, order, errors={shown.key: error}, run_hooks=False)
    still = patient_order(
        user=request.user,
        patient_id=chart.patient_id,
        resource_type=resource_type,
        order_id=order_id,
    )
    if still is None or still.get("status") != "draft":
        return after_write(
            request,
            chart,
            notice=f"Suggestion accepted: the draft order for {order_name(order)} was cancelled.",
            url_name="chart-orders",
            render_tab=lambda notice: _render(request, chart, notice),
        )
    return _review(
        request,
        chart,
        still,
        notice="Suggestion accepted: review the changed order.",
        run_hooks=True,
    )


@chart_view("order discard")
@require_POST
def order_discard_view(
    request: HttpRequest, chart: Chart, resource_type: str, order_id: str
) -> HttpResponse:
    order = _order(request, chart, resource_type, order_id)
    try:
        order_discard(patient_id=chart.patient_id, order=order, acting_user=request.user)
    except ValidationError as exc:
        return _render(request, chart, order_error=exc.messages[0])
    return after_write(
        request,
        chart,
        notice=f"Draft discarded: {order_name(order)}.",
        url_name="chart-orders",
        render_tab=lambda notice: _render(request, chart, notice),
    )


def _order(request: HttpRequest, chart: Chart, resource_type: str, order_id: str) -> dict:
    order = patient_order(
        user=request.user,
        patient_id=chart.patient_id,
        resource_type=resource_type,
        order_id=order_id,
    )
    if order is None:
        raise Http404("No such order in this chart.")
    return order
