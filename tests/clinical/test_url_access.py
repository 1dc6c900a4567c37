"""Every URL pattern of the project, asked anonymously with GET and POST: only the public pages
answer 2xx. A new view that forgets to require sign-in fails here."""

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

pytestmark = pytest.mark.django_db

PUBLIC = [
    r"/healthz",
    r"/readyz",
    r"/fhir/metadata/?",
    r"(/fhir)?/\.well-known/.*",  # SMART and OpenID discovery
    r"/auth/jwks",  # the public keys that verify our ID tokens
    r"/accounts/login/",
    r"/accounts/password_reset/(done/)?",
    r"/accounts/reset/.*",  # a reset link (here an invalid one) and its done page
    r"/static/.*",
    r"/cds-services/?",  # CDS Hooks discovery: which services exist, no patient data
    r"/cds/jwks\.json",  # the public keys of our CDS Hooks client
]
PUBLIC_PATH = re.compile("|".join(f"(?:{pattern})" for pattern in PUBLIC))

GROUP_SAMPLES = {
    "resource_type": "Patient",
    "resource_id": "example",
    "version_id": "1",
    "operation": "validate",
    "patient_id": "example",
    "app_label": "auth",
}
CANDIDATES = ("1", "1.2.3", "x1", "example", "x-1", "x/y", "00000000-0000-0000-0000-000000000000")
NAMED_GROUP = re.compile(r"\(\?P<(\w+)>")
ROUTE_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def value_for(name: str, regex: str) -> str:
    """A plausible value for a URL parameter: the usual one for its name, else the first
    candidate its regex accepts."""
    literal = regex.split("|")[0]  # a regex of literal words: take the first
    for candidate in (GROUP_SAMPLES.get(name), literal, *CANDIDATES):
        if candidate is not None and re.fullmatch(regex, candidate):
            return candidate
    raise ValueError(f"no sample value for <{name}> matching {regex!r}")


def sample_route(pattern: RoutePattern) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        return value_for(name, pattern.converters[name].regex)

    return ROUTE_PARAMETER.sub(fill, str(pattern))


def sample_regex(regex: str) -> str:
    """A path the regex matches: named groups filled in, anchors and optional parts dropped."""
    text = regex
    while match := NAMED_GROUP.search(text):
        end = _closing_parenthesis(text, match.start())
        value = value_for(match.group(1), text[match.end() : end])
        text = text[: match.start()] + value + text[end + 1 :]
    text = text.removeprefix("^").removesuffix("$").replace("\\Z", "")
    return re.sub(r"\\(.)", r"\1", text.replace("/?", "/"))


def _closing_parenthesis(text: str, start: int) -> int:
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "(" and text[index - 1] != "\\":
            depth += 1
        elif text[index] == ")" and text[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unbalanced group in {text!r}")


def sample(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return sample_route(pattern)
    if isinstance(pattern, RegexPattern):
        return sample_regex(pattern.regex.pattern)
    raise TypeError(f"unknown URL pattern kind {type(pattern).__name__}")


def every_path(resolver: URLResolver, prefix: str = "/") -> Iterator[str]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from every_path(entry, prefix + sample(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + sample(entry.pattern)


def test_every_path_sample_resolves():
    paths = sorted(set(every_path(get_resolver())))
    assert len(paths) > 50
    unresolved = []
    for path in paths:
        try:
            resolve(path)
        except Resolver404:
            unresolved.append(path)
    assert not unresolved


def test_only_public_pages_answer_anonymous_requests():
    client = Client()
    answered = {}
    for path in sorted(set(every_path(get_resolver()))):
        for method in ("get", "post"):
            answered[(method.upper(), path)] = getattr(client, method)(path).status_code
    open_doors = sorted(
        f"{method} {path} -> {status}"
        for (method, path), status in answered.items()
        if 200 <= status < 300 and not PUBLIC_PATH.fullmatch(path)
    )
    crashes = sorted(f"{m} {p} -> {s}" for (m, p), s in answered.items() if s >= 500)
    assert not open_doors
    assert not crashes
    assert answered[("GET", "/fhir/Patient/example/")] == 401
    assert answered[("GET", "/accounts/")] == 302
    assert answered[("GET", "/admin/")] == 302


def test_the_public_pages_are_public(anonymous_client):
    for path in ("/healthz", "/fhir/metadata", "/accounts/login/", "/accounts/password_reset/"):
        assert anonymous_client.get(path).status_code == 200, path
