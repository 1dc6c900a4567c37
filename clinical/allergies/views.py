from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods, require_POST

from clinical.allergies.forms import MANIFESTATIONS, AllergyForm, EnteredInErrorForm
from clinical.allergies.selectors import allergy_row, patient_allergies, patient_allergy
from clinical.allergies.services import (
    allergy_add,
    allergy_details,
    allergy_mark_entered_in_error,
    allergy_update,
    no_known_allergies_record,
)
from clinical.chart.access import Chart, chart_view
from clinical.chart.rendering import after_write, render_chart
from clinical.fhir.writes import require_permission
from clinical.roles import EDIT_CHART
from fhirapi.errors import VersionConflict

PANEL = "clinical/_allergies.html"


def _render(request: HttpRequest, chart: Chart, notice: str = "", **context) -> HttpResponse:
    context.setdefault("form", AllergyForm())
    context["allergies"] = patient_allergies(user=request.user, patient_id=chart.patient_id)
    context["notice"] = notice
    context["refresh_header"] = bool(notice)
    return render_chart(request, chart, tab="allergies", panel=PANEL, context=context)


def _done(request: HttpRequest, chart: Chart, notice: str) -> HttpResponse:
    return after_write(
        request,
        chart,
        notice=notice,
        url_name="chart-allergies",
        render_tab=lambda text: _render(request, chart, text),
    )


def _details(data: dict) -> dict:
    code = data.get("manifestation") or ""
    return allergy_details(
        category=data["category"],
        criticality=data["criticality"],
        clinical_status=data["clinical_status"],
        verification=data["verification"],
        manifestation=(code, dict(MANIFESTATIONS)[code]) if code else None,
        severity=data.get("severity") or "",
        onset=data.get("onset"),
        note=data.get("note") or "",
    )


@chart_view("allergies")
@require_http_methods(["GET", "POST"])
def allergies(request: HttpRequest, chart: Chart) -> HttpResponse:
    if request.method == "GET":
        return _render(request, chart)
    require_permission(request.user, EDIT_CHART, "record allergies")
    form = AllergyForm(request.POST)
    if not form.is_valid():
        return _render(request, chart, form=form)
    existing = patient_allergies(user=request.user, patient_id=chart.patient_id).resources
    allergy_add(
        patient_id=chart.patient_id,
        item=form.cleaned_data["code"],
        details=_details(form.cleaned_data),
        existing=existing,
        acting_user=request.user,
    )
    return _done(request, chart, f"Allergy recorded: {form.cleaned_data['code'].display}.")


@chart_view("allergies: no known allergies")
@require_POST
def allergies_none_known(request: HttpRequest, chart: Chart) -> HttpResponse:
    require_permission(request.user, EDIT_CHART, "record allergies")
    existing = patient_allergies(user=request.user, patient_id=chart.patient_id).resources
    try:
        no_known_allergies_record(
            patient_id=chart.patient_id, existing=existing, acting_user=request.user
        )
    except ValidationError as exc:
        return _render(request, chart, nka_error=" ".join(exc.messages))
    return _done(request, chart, "No known allergies recorded.")


@chart_view("allergy edit")
@require_http_methods(["GET", "POST"])
def allergy_edit(request: HttpRequest, chart: Chart, allergy_id: str) -> HttpResponse:
    allergy = _allergy(request, chart, allergy_id)
    row = allergy_row(allergy)
    if request.method == "GET":
        reaction = (allergy.get("reaction") or [{}])[0]
        manifestation = ((reaction.get("manifestation") or [{}])[0].get("coding") or [{}])[0]
        initial = {
            "category": (allergy.get("category") or ["medication"])[0],
            "criticality": row.criticality or "low",
            "clinical_status": row.clinical_status or "active",
            "verification": row.verification or "confirmed",
            "manifestation": manifestation.get("code", ""),
            "severity": row.severity,
            "onset": (allergy.get("onsetDateTime") or "")[:10] or None,
            "note": ((allergy.get("note") or [{}])[0]).get("text", ""),
            "version": row.version,
        }
        return _render(
            request, chart, editing=row, edit_form=AllergyForm(initial=initial, editing=True)
        )
    require_permission(request.user, EDIT_CHART, "record allergies")
    edit_form = AllergyForm(request.POST, editing=True)
    if edit_form.is_valid():
        data = edit_form.cleaned_data
        try:
            allergy_update(
                patient_id=chart.patient_id,
                allergy=allergy,
                item=data["code"],
                details=_details(data),
                version=int(data["version"]) if (data["version"] or "").isdigit() else None,
                acting_user=request.user,
            )
        except VersionConflict:
            edit_form.add_error(
                None, "Someone changed this allergy meanwhile: check and save again."
            )
        else:
            return _done(request, chart, f"Allergy updated: {row.substance}.")
    return _render(request, chart, editing=row, edit_form=edit_form)


@chart_view("allergy entered-in-error")
@require_POST
def allergy_entered_in_error(request: HttpRequest, chart: Chart, allergy_id: str) -> HttpResponse:
    allergy = _allergy(request, chart, allergy_id)
    require_permission(request.user, EDIT_CHART, "record allergies")
    form = EnteredInErrorForm(request.POST)
    if not form.is_valid():
        return _render(request, chart, error_form=form, error_target=allergy_id)
    allergy_mark_entered_in_error(
        patient_id=chart.patient_id,
        allergy=allergy,
        reason=form.cleaned_data["reason"],
        acting_user=request.user,
    )
    return _done(
        request, chart, f"Allergy marked entered in error: {allergy_row(allergy).substance}."
    )


def _allergy(request: HttpRequest, chart: Chart, allergy_id: str) -> dict:
    allergy = patient_allergy(user=request.user, patient_id=chart.patient_id, allergy_id=allergy_id)
    if allergy is None:
        raise Http404("No such allergy in this chart.")
    return allergy
