from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from clinical.accounts.redirects import next_url
from clinical.chart_access.forms import BreakGlassForm
from clinical.chart_access.selectors import ChartDecision, chart_access_check
from clinical.chart_access.services import break_glass
from clinical.roles import BREAK_GLASS


@login_required
@permission_required(BREAK_GLASS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def break_glass_page(request: HttpRequest, patient_id: str) -> HttpResponse:
    """Ask why, then open the restricted chart; `next` is where the chart is shown."""
    access = chart_access_check(user=request.user, patient_id=patient_id)
    if access.allowed:
        return redirect(next_url(request))
    if access.decision == ChartDecision.FORBIDDEN:
        raise PermissionDenied("You may not open this chart.")
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            break_glass(
                user=request.user, patient_id=patient_id, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            return redirect(next_url(request))
    return render(
        request, "chart_access/break_glass.html", {"form": form, "patient_id": patient_id}
    )
