"""The MAR screen, inside the chart (header and all): the day's grid (#mar-grid) refreshes
itself and records doses in place."""

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clinical.chart.access import Chart, chart_view
from clinical.chart.rendering import render_chart
from clinical.fhir.writes import require_permission
from clinical.pharmacy import forms
from clinical.pharmacy.administrations import NOT_GIVEN_REASONS, administration_record
from clinical.pharmacy.live import stamped, unchanged
from clinical.pharmacy.mar import patient_mar
from clinical.roles import EDIT_CHART
from clinical.workspace_http import private_page, wants_fragment

MAR_GRID = "mar-grid"


@chart_view("medication administration record")
@require_GET
def mar(request: HttpRequest, chart: Chart) -> HttpResponse:
    return _mar(request, chart, _day(request.GET.get("day")))


def _mar(
    request: HttpRequest, chart: Chart, day: date, *, notice: str = "", error: str = ""
) -> HttpResponse:
    context = {
        "chart": chart,
        "mar": patient_mar(user=request.user, patient_id=chart.patient_id, day=day),
        "reasons": NOT_GIVEN_REASONS,
        "can_record": request.user.has_perm(EDIT_CHART),
        "notice": notice,
        "error": error,
    }
    context["mar_body"], context["stamp"] = stamped(
        request, "pharmacy/_mar_grid_body.html", context
    )
    if wants_fragment(request, MAR_GRID):
        if request.method == "GET" and (response := unchanged(request, context["stamp"])):
            return response
        return private_page(render(request, "pharmacy/_mar_grid.html", context))
    return render_chart(request, chart, tab="mar", panel="pharmacy/_mar.html", context=context)


@chart_view("medication administration")
@require_POST
def mar_record(request: HttpRequest, chart: Chart) -> HttpResponse:
    require_permission(request.user, EDIT_CHART, "record medication administrations")
    form = forms.AdministrationForm(request.POST)
    day = _day(request.POST.get("day"))
    notice = error = ""
    if not form.is_valid():
        error = "; ".join(m for errors in form.errors.values() for m in errors)
    else:
        data = form.cleaned_data
        try:
            administration_record(
                patient_id=chart.patient_id,
                order_id=data["order"],
                slot=data["slot"],
                given=data["outcome"] == "given",
                reason_key=data["reason"],
                comment=data["comment"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            notice = (
                "Dose recorded as given."
                if data["outcome"] == "given"
                else "Dose recorded as not given."
            )
    if wants_fragment(request, MAR_GRID):
        return _mar(request, chart, day, notice=notice, error=error)
    (messages.error if error else messages.success)(request, error or notice)
    url = reverse("pharmacy-mar", kwargs={"patient_id": chart.patient_id})
    return redirect(f"{url}?day={day.isoformat()}")


def _day(text: str | None) -> date:
    today = timezone.localdate()
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return today
    return day if abs(day - today) <= timedelta(days=366) else today
