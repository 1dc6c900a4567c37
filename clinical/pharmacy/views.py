"""The pharmacy's screens. Each view serves its page and its HTMX fragment: the queue
(#pharmacy-queue), the order under review (#order-panel) and the prescriber's returned orders
(#returned-orders). The MAR's are in mar_views.py."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from clinical.chart.services import ChartForbidden, ChartNeedsGlass, ChartNotFound, chart_open
from clinical.fhir.reads import Resource, reference_id
from clinical.fhir.writes import require_permission
from clinical.medications.selectors import medication_name
from clinical.pharmacy import forms
from clinical.pharmacy.checks import order_checks
from clinical.pharmacy.live import stamped, unchanged
from clinical.pharmacy.selectors import (
    QueueFilters,
    order_detail,
    pharmacy_order,
    pharmacy_queue,
    returned_orders,
)
from clinical.pharmacy.services import (
    medication_dispense,
    order_reject,
    order_resubmit,
    order_return,
    order_verify,
)
from clinical.pharmacy.states import VERIFIABLE, PharmacyState, pharmacy_review, pharmacy_state
from clinical.roles import SIGN_ORDERS, VERIFY_ORDERS
from clinical.workspace_http import private_page, wants_fragment
from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.services import audit_record
from fhirapi.errors import VersionConflict

QUEUE, PANEL, RETURNED = "pharmacy-queue", "order-panel", "returned-orders"
CHANGED_EVENT = "pharmacy-changed"  # the queue refreshes at once when an action succeeds


# -- the queue ---------------------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, VERIFY_ORDERS, "use the pharmacy queue")
    context = _queue_context(request)
    if wants_fragment(request, QUEUE):
        if response := unchanged(request, context["stamp"]):
            return response
        _audit_queue(request, context)
        return private_page(render(request, "pharmacy/_queue.html", context))
    _audit_queue(request, context)
    return private_page(render(request, "pharmacy/dashboard.html", context))


def _queue_context(request: HttpRequest) -> dict:
    form = forms.QueueFilterForm(request.GET)
    filters = QueueFilters(**form.cleaned_data) if form.is_valid() else QueueFilters()
    data = pharmacy_queue(user=request.user, filters=filters)
    chosen = {k: v for k, v in vars(filters).items() if v}
    links = [{"count": c, "query": urlencode(chosen | {"state": c.state})} for c in data.counts]
    context = {"queue": data, "query": urlencode(chosen), "state_links": links}
    context["queue_body"], context["stamp"] = stamped(request, "pharmacy/_queue_body.html", context)
    return context


def _audit_queue(request: HttpRequest, context: dict) -> None:
    rows = context["queue"].rows
    audit_record(
        kind=REST_KINDS["search-type"],
        username=request.user.get_username(),
        resource_type="MedicationRequest",
        query=context["query"],
        description=f"pharmacy queue: {len(rows)} orders of "
        f"{len({r.order.patient_id for r in rows})} patients shown",
    )


# -- one order ---------------------------------------------------------------------------------

OrderView = Callable[..., HttpResponse]


def pharmacy_order_view(
    view: str, permission: str = VERIFY_ORDERS
) -> Callable[[OrderView], OrderView]:
    """Sign-in, the permission, the order (404 unless a medication order), and its chart opened
    (access check and audit) before the view runs with (request, order)."""

    def decorator(function: OrderView) -> OrderView:
        @login_required
        @wraps(function)
        def wrapper(request: HttpRequest, order_id: str) -> HttpResponse:
            require_permission(request.user, permission, "do this")
            order = pharmacy_order(user=request.user, order_id=order_id)
            if order is None:
                raise Http404("No such medication order.")
            patient_id = reference_id(order.get("subject"), "Patient") or ""
            try:
                chart_open(acting_user=request.user, patient_id=patient_id, view=view)
            except ChartNeedsGlass:
                return _break_glass(request, patient_id)
            except ChartForbidden as exc:
                raise PermissionDenied("You may not open this patient's chart.") from exc
            except ChartNotFound as exc:
                raise Http404("No such patient.") from exc
            return function(request, order)

        return wrapper

    return decorator


def _break_glass(request: HttpRequest, patient_id: str) -> HttpResponse:
    url = (
        reverse("break-glass", kwargs={"patient_id": patient_id})
        + "?"
        + urlencode({"next": request.get_full_path()})
    )
    return HttpResponseClientRedirect(url) if getattr(request, "htmx", False) else redirect(url)


@pharmacy_order_view("pharmacy order")
@require_GET
def order(request: HttpRequest, order: Resource) -> HttpResponse:
    return _panel(request, order)


def _panel(
    request: HttpRequest,
    order: Resource,
    *,
    notice: str = "",
    conflict: str = "",
    bound: dict | None = None,
) -> HttpResponse:
    detail = order_detail(user=request.user, order=order)
    state = detail.row.order.state
    actionable = (
        state in (PharmacyState.PENDING, PharmacyState.VERIFIED) and order["status"] == "active"
    )
    version = {"version": detail.row.order.version}
    remaining = detail.remaining
    dispense_initial = version | {"unit": detail.row.order.quantity_unit}
    if remaining is not None:
        dispense_initial["quantity"] = remaining
    panel = {
        "detail": detail,
        "checks": order_checks(user=request.user, order=order) if actionable else None,
        "can_verify": state in VERIFIABLE and order["status"] == "active",
        "verify_form": forms.VerifyForm(initial=version),
        "return_form": forms.ReturnForm(initial=version),
        "reject_form": forms.RejectForm(initial=version),
        "dispense_form": forms.DispenseForm(initial=dispense_initial),
        "notice": notice,
        "conflict": conflict,
        **(bound or {}),
    }
    if wants_fragment(request, PANEL):
        return private_page(render(request, "pharmacy/_order_panel.html", panel))
    context = _queue_context(request)
    _audit_queue(request, context)
    return private_page(render(request, "pharmacy/dashboard.html", context | panel))


def _act(
    request: HttpRequest,
    order: Resource,
    form,
    form_name: str,
    action: Callable[[dict], object],
    notice: str,
) -> HttpResponse:
    """Validate the form, run the service, answer with the order as it is now."""
    if not form.is_valid():
        return _panel(request, order, bound={form_name: form})
    try:
        action(form.cleaned_data)
    except VersionConflict:
        fresh = pharmacy_order(user=request.user, order_id=order["id"]) or order
        response = _panel(request, fresh, conflict=conflict_message(fresh))
        response["HX-Trigger"] = CHANGED_EVENT  # the queue shows the change too
        return response
    except ValidationError as exc:
        form.add_error(None, exc.messages[0])
        return _panel(request, order, bound={form_name: form})
    fresh = pharmacy_order(user=request.user, order_id=order["id"]) or order
    if wants_fragment(request, PANEL):
        response = _panel(request, fresh, notice=notice)
        response["HX-Trigger"] = CHANGED_EVENT
        return response
    messages.success(request, notice)
    return redirect("pharmacy-order", order_id=order["id"])


def conflict_message(order: Resource) -> str:
    state = pharmacy_state(order).label.lower()
    review = pharmacy_review(order)
    who = ""
    if review and review.by:
        at = timezone.localtime(review.at).strftime("%H:%M") if review.at else ""
        who = f" by {review.by}" + (f" at {at}" if at else "")
    return (
        f"Someone else acted on this order while you were looking at it: it is now {state}{who}. "
        "Your action was not applied. The order is shown as it is now: review it again."
    )


@pharmacy_order_view("pharmacy verify")
@require_POST
def order_verify_view(request: HttpRequest, order: Resource) -> HttpResponse:
    """A critical alert (allergy, contraindicated combination, renal avoid) is verified over
    only with a comment saying why."""
    form = forms.VerifyForm(request.POST)
    if (
        form.is_valid()
        and not form.cleaned_data["comment"]
        and order_checks(user=request.user, order=order).critical
    ):
        form.add_error("comment", "Critical alerts: say why you verify the order anyway.")
    return _act(
        request,
        order,
        form,
        "verify_form",
        lambda d: order_verify(
            order_id=order["id"],
            version=d["version"],
            comment=d["comment"],
            acting_user=request.user,
        ),
        f"Verified: {medication_name(order)}.",
    )


@pharmacy_order_view("pharmacy return")
@require_POST
def order_return_view(request: HttpRequest, order: Resource) -> HttpResponse:
    return _act(
        request,
        order,
        forms.ReturnForm(request.POST),
        "return_form",
        lambda d: order_return(
            order_id=order["id"], version=d["version"], reason=d["reason"], acting_user=request.user
        ),
        f"Returned to the prescriber: {medication_name(order)}.",
    )


@pharmacy_order_view("pharmacy reject")
@require_POST
def order_reject_view(request: HttpRequest, order: Resource) -> HttpResponse:
    form = forms.RejectForm(request.POST)
    return _act(
        request,
        order,
        form,
        "reject_form",
        lambda d: order_reject(
            order_id=order["id"],
            version=d["version"],
            reason_code=d["reason"],
            reason_display=form.reason_display(),
            comment=d["comment"],
            acting_user=request.user,
        ),
        f"Rejected: {medication_name(order)}.",
    )


@pharmacy_order_view("pharmacy dispense")
@require_POST
def order_dispense_view(request: HttpRequest, order: Resource) -> HttpResponse:
    return _act(
        request,
        order,
        forms.DispenseForm(request.POST),
        "dispense_form",
        lambda d: medication_dispense(
            order_id=order["id"],
            version=d["version"],
            quantity=d["quantity"],
            unit=d["unit"],
            lot=d["lot"],
            expiry=d["expiry"],
            acting_user=request.user,
        ),
        f"Dispensed: {medication_name(order)}.",
    )


# -- the prescriber's returned orders ------------------------------------------------------------


@login_required
@require_GET
def returned(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, SIGN_ORDERS, "see orders returned by the pharmacy")
    return _returned(request)


def _returned(request: HttpRequest, *, notice: str = "", error: str = "") -> HttpResponse:
    context = {"returned": returned_orders(user=request.user), "notice": notice, "error": error}
    body, stamp = stamped(request, "pharmacy/_returned_orders_body.html", context)
    context |= {"returned_body": body, "stamp": stamp}
    if wants_fragment(request, RETURNED):
        if request.method == "GET" and (response := unchanged(request, stamp)):
            return response
        return private_page(render(request, "pharmacy/_returned_orders.html", context))
    return private_page(render(request, "pharmacy/returned.html", context))


@pharmacy_order_view("pharmacy resubmit", permission=SIGN_ORDERS)
@require_POST
def order_resubmit_view(request: HttpRequest, order: Resource) -> HttpResponse:
    form = forms.ResubmitForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "The form was not valid: reload the page."
    else:
        try:
            order_resubmit(
                order_id=order["id"],
                version=form.cleaned_data["version"],
                comment=form.cleaned_data["comment"],
                acting_user=request.user,
            )
        except VersionConflict:
            error = "This order changed while you were looking at it: it is shown as it is now."
        except ValidationError as exc:
            error = exc.messages[0]
    notice = "" if error else f"Resubmitted to the pharmacy: {medication_name(order)}."
    if wants_fragment(request, RETURNED):
        return _returned(request, notice=notice, error=error)
    (messages.error if error else messages.success)(request, error or notice)
    return redirect("pharmacy-returned")
