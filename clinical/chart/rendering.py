"""One view serves a chart tab as a page and as a fragment: the page is the header plus the
chart body (tabs and panel); HTMX tab switches and form posts swap only the body."""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinical.chart.header import chart_header
from clinical.chart.services import Chart
from clinical.workspace_http import private_page, wants_fragment

CHART_BODY = "chart-body"


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url_name: str


TABS = (
    Tab("summary", "Summary", "chart-summary"),
    Tab("vitals", "Vitals", "chart-vitals"),
    Tab("medications", "Medications", "chart-medications"),
    Tab("mar", "MAR", "pharmacy-mar"),  # clinical/pharmacy/mar_views.py, drawn in the chart
    Tab("orders", "Orders", "chart-orders"),
    Tab("notes", "Notes", "chart-notes"),
    Tab("results", "Results", "chart-results"),
    Tab("problems", "Problems", "chart-problems"),
    Tab("allergies", "Allergies", "chart-allergies"),
    Tab("encounters", "Encounters", "chart-encounters"),
    Tab("imaging", "Imaging", "chart-imaging"),
    Tab("timeline", "Timeline", "chart-timeline"),
    Tab("access-log", "Access log", "chart-access-log"),  # who touched this chart (audit)
)


def render_chart(
    request: HttpRequest,
    chart: Chart,
    *,
    tab: str,
    panel: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """`panel` is the tab's fragment template (clinical/_<tab>.html)."""
    data = {"chart": chart, "tab": tab, "tabs": TABS, "panel": panel, **(context or {})}
    if wants_fragment(request, CHART_BODY):
        if data.get("refresh_header"):  # e.g. allergies changed: swap the header out of band
            data["header"] = chart_header(user=request.user, chart=chart)
        return private_page(render(request, "clinical/_chart_body.html", data, status=status))
    data["header"] = chart_header(user=request.user, chart=chart)
    return private_page(render(request, "clinical/chart.html", data, status=status))


def after_write(
    request: HttpRequest,
    chart: Chart,
    *,
    notice: str,
    url_name: str,
    render_tab,
    **url_kwargs: str,
) -> HttpResponse:
    """A write succeeded: HTMX gets the tab drawn afresh with the notice (and the tab's URL);
    a plain form post is redirected there (post/redirect/get) with a message."""
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.urls import reverse

    url = reverse(url_name, kwargs={"patient_id": chart.patient_id, **url_kwargs})
    if wants_fragment(request, CHART_BODY):
        response = render_tab(notice)
        response["HX-Replace-Url"] = url
        return response
    messages.success(request, notice)
    return redirect(url)
