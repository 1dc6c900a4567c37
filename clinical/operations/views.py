"""The admin's System status page (linked from the admin index)."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from clinical.operations.status import system_status


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
