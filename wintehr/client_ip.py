"""The address a request came from, for audit records and sign-in lock-out.

Behind reverse proxies REMOTE_ADDR is the nearest proxy's; with TRUSTED_PROXY_COUNT set to the
number of proxies in front of us, the client is the entry that many places from the right of
X-Forwarded-For (the entries left of it were written by the client and prove nothing).
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, or None when it is unknown or not an IP address."""
    candidate = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        hops = [hop.strip() for hop in forwarded if hop.strip()]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
