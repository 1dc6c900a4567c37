"""How the workspace answers HTMX: a request is a fragment request when HTMX sent it, not as a
boosted link and not to restore history (those want the whole page)."""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers


def wants_fragment(request: HttpRequest, target: str | None = None) -> bool:
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target


def private_page(response: HttpResponse) -> HttpResponse:
    """Patient data: never cached, and the fragment and the page are different responses."""
    patch_vary_headers(response, ["HX-Request"])
    add_never_cache_headers(response)
    return response
