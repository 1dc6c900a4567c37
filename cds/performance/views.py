"""The CDS service performance page under /cds/performance/: acceptance rates and override
reasons of every service, for alert tuning. Only for users with cds.manage_rules, as the rule
pages."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cds.performance.selectors import PERIODS, service_performance

DEFAULT_DAYS = 30


@login_required
@permission_required("cds.manage_rules", raise_exception=True)
@require_GET
def performance(request: HttpRequest) -> HttpResponse:
    asked = request.GET.get("days", "")
    days = int(asked) if asked in {str(p) for p in PERIODS} else DEFAULT_DAYS
    context = {"services": service_performance(days=days), "days": days, "periods": PERIODS}
    return render(request, "cds/performance.html", context)
