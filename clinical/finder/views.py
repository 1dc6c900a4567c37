from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from clinical.finder.forms import FinderForm, WardForm
from clinical.finder.selectors import patient_search, recent_patients, ward_patients, wards
from clinical.roles import REGISTER_PATIENTS, VIEW_CHART
from clinical.workspace_http import private_page, wants_fragment
from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.services import audit_record


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Clinicians and the front desk start at the patient finder; everyone else at their account."""
    if request.user.has_perm(VIEW_CHART) or request.user.has_perm(REGISTER_PATIENTS):
        return redirect("finder")
    return redirect("account")


@login_required
@require_GET
def finder(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.has_perm(VIEW_CHART) or user.has_perm(REGISTER_PATIENTS)):
        raise PermissionDenied("The patient finder is for clinicians and the front desk.")
    form = FinderForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = patient_search(user=user, query=query) if query else []
    if query:
        audit_record(
            kind=REST_KINDS["search-type"],
            username=user.get_username(),
            resource_type="Patient",
            query=f"q={query}",
            description="workspace patient finder",
        )
    context = {"form": form, "query": query, "results": results}
    if wants_fragment(request, "finder-results"):
        return private_page(render(request, "clinical/_finder_results.html", context))
    ward_list = wards(user=user)
    ward_form = WardForm(request.GET, wards=ward_list)
    location = ward_form.cleaned_data["location"] if ward_form.is_valid() else ""
    context |= {
        "ward_form": ward_form,
        "location": location,
        "ward_rows": ward_patients(user=user, location_id=location) if location else [],
    }
    if wants_fragment(request, "ward-list"):
        return private_page(render(request, "clinical/_ward_list.html", context))
    context["recent"] = recent_patients(user=user, session=request.session)
    return private_page(render(request, "clinical/finder.html", context))
