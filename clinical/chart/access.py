"""`chart_view`: the decorator every chart page and fragment wears. It requires sign-in, opens the
chart through chart_open (access check + audit) and hands the view a Chart; a restricted chart
sends the user to break the glass, an unknown patient is a 404."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from clinical.chart.services import (
    Chart,
    ChartForbidden,
    ChartNeedsGlass,
    ChartNotFound,
    chart_open,
)
from clinical.finder.services import recent_patient_note

ChartViewFunction = Callable[..., HttpResponse]


def chart_view(view: str) -> Callable[[ChartViewFunction], ChartViewFunction]:
    def decorator(function: ChartViewFunction) -> ChartViewFunction:
        @login_required
        @wraps(function)
        def wrapper(request: HttpRequest, patient_id: str, **kwargs) -> HttpResponse:
            try:
                chart = chart_open(acting_user=request.user, patient_id=patient_id, view=view)
            except ChartNeedsGlass:
                return _break_glass(request, patient_id)
            except ChartForbidden as exc:
                raise PermissionDenied("You may not open this chart.") from exc
            except ChartNotFound as exc:
                raise Http404("No such patient.") from exc
            recent_patient_note(session=request.session, patient_id=patient_id)
            return function(request, chart, **kwargs)

        return wrapper

    return decorator


def _break_glass(request: HttpRequest, patient_id: str) -> HttpResponse:
    chart_url = reverse("chart-summary", kwargs={"patient_id": patient_id})
    url = reverse("break-glass", kwargs={"patient_id": patient_id})
    url += "?" + urlencode({"next": chart_url})
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


__all__ = ["Chart", "chart_view"]
