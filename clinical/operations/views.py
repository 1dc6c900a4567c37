"""The admin's System status and Subscriptions pages (linked from the admin index)."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from clinical.operations.status import system_status
from fhirapi.errors import FhirError
from fhirapi.subscriptions.selectors import STATUSES, subscriptions_overview
from fhirapi.subscriptions.services import subscription_switch

SWITCHES = {"deactivate": False, "reactivate": True}


@never_cache
def system_status_page(request: HttpRequest) -> HttpResponse:
    status = system_status()
    counts = status.resources.counts if status.resources else {}
    context = {
        **admin.site.each_context(request),
        "title": "System status",
        "status": status,
        "resources": sorted(counts.items()),
    }
    return render(request, "admin/operations/status.html", context)


@never_cache
@require_GET
def subscriptions_page(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    context = {
        **admin.site.each_context(request),
        "title": "FHIR Subscriptions",
        "overview": subscriptions_overview(user=request.user, status=status),
        "statuses": STATUSES,
        "status": status,
    }
    return render(request, "admin/operations/subscriptions.html", context)


@require_POST
def subscription_switch_view(request: HttpRequest, subscription_id: str) -> HttpResponse:
    action = request.POST.get("action", "")
    if action not in SWITCHES:
        messages.error(request, f"Unknown action {action!r}.")
    else:
        try:
            status = subscription_switch(
                subscription_id=subscription_id,
                active=SWITCHES[action],
                acting_user=request.user,
            )
        except FhirError as exc:
            messages.error(request, f"Subscription/{subscription_id}: {exc}")
        else:
            messages.success(request, f"Subscription/{subscription_id} is now {status}.")
    return HttpResponseRedirect(reverse("admin-subscriptions"))
