from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods, require_POST

from clinical.chart.access import Chart, chart_view
from clinical.chart.rendering import after_write, render_chart
from clinical.fhir.writes import require_permission
from clinical.problems.forms import ProblemForm, ResolveForm
from clinical.problems.selectors import patient_condition, patient_problems, problem_row
from clinical.problems.services import problem_add, problem_resolve, problem_update
from clinical.roles import EDIT_CHART
from fhirapi.errors import VersionConflict

PANEL = "clinical/_problems.html"
STALE = "Someone changed this problem meanwhile: check it and save again."


def _render(request: HttpRequest, chart: Chart, notice: str = "", **context) -> HttpResponse:
    context.setdefault("form", ProblemForm())
    context["problems"] = patient_problems(user=request.user, patient_id=chart.patient_id)
    context["notice"] = notice
    return render_chart(request, chart, tab="problems", panel=PANEL, context=context)


@chart_view("problems")
@require_http_methods(["GET", "POST"])
def problems(request: HttpRequest, chart: Chart) -> HttpResponse:
    if request.method == "GET":
        return _render(request, chart)
    require_permission(request.user, EDIT_CHART, "edit the problem list")
    form = ProblemForm(request.POST)
    if not form.is_valid():
        return _render(request, chart, form=form)
    data = form.cleaned_data
    problem_add(
        patient_id=chart.patient_id,
        item=data["code"],
        onset=data["onset"],
        clinical_status=data["clinical_status"],
        verification=data["verification"],
        note=data["note"],
        acting_user=request.user,
    )
    return after_write(
        request,
        chart,
        notice=f"Problem added: {data['code'].display}.",
        url_name="chart-problems",
        render_tab=lambda notice: _render(request, chart, notice),
    )


@chart_view("problem edit")
@require_http_methods(["GET", "POST"])
def problem_edit(request: HttpRequest, chart: Chart, condition_id: str) -> HttpResponse:
    condition = _condition(request, chart, condition_id)
    row = problem_row(condition)
    if request.method == "GET":
        initial = {
            "onset": row.onset.date() if row.onset else None,
            "clinical_status": row.clinical_status or "active",
            "verification": row.verification or "confirmed",
            "note": row.note,
            "version": row.version,
        }
        edit_form = ProblemForm(initial=initial, editing=True)
        return _render(request, chart, editing=row, edit_form=edit_form)
    require_permission(request.user, EDIT_CHART, "edit the problem list")
    edit_form = ProblemForm(request.POST, editing=True)
    if edit_form.is_valid():
        data = edit_form.cleaned_data
        try:
            problem_update(
                patient_id=chart.patient_id,
                condition=condition,
                item=data["code"],
                onset=data["onset"],
                clinical_status=data["clinical_status"],
                verification=data["verification"],
                note=data["note"],
                version=int(data["version"]) if (data["version"] or "").isdigit() else None,
                acting_user=request.user,
            )
        except VersionConflict:
            edit_form.add_error(None, STALE)
        else:
            return after_write(
                request,
                chart,
                notice=f"Problem updated: {row.name}.",
                url_name="chart-problems",
                render_tab=lambda notice: _render(request, chart, notice),
            )
    return _render(request, chart, editing=row, edit_form=edit_form)


@chart_view("problem resolve")
@require_POST
def problem_resolve_view(request: HttpRequest, chart: Chart, condition_id: str) -> HttpResponse:
    condition = _condition(request, chart, condition_id)
    require_permission(request.user, EDIT_CHART, "edit the problem list")
    form = ResolveForm(request.POST)
    form.is_valid()  # an empty or bad date falls back to today
    resolved_on = form.cleaned_data.get("resolved_on")
    if resolved_on is None:
        return _render(request, chart, resolve_errors=form.errors)
    problem_resolve(
        patient_id=chart.patient_id,
        condition=condition,
        resolved_on=resolved_on,
        acting_user=request.user,
    )
    return after_write(
        request,
        chart,
        notice=f"Problem resolved: {problem_row(condition).name}.",
        url_name="chart-problems",
        render_tab=lambda notice: _render(request, chart, notice),
    )


def _condition(request: HttpRequest, chart: Chart, condition_id: str) -> dict:
    condition = patient_condition(
        user=request.user, patient_id=chart.patient_id, condition_id=condition_id
    )
    if condition is None:
        raise Http404("No such problem in this chart.")
    return condition
