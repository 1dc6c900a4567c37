"""Prefetch templates: their tokens, rendering them against a request, and the data a service
reads by prefetch key (what the client sent, else fetched from the FHIR server by the template)."""

import re
from typing import Any

from cds.data_sources import (
    DataSource,
    DataUnavailable,
    complete_bundle,
    run_query,
    wants_all_pages,
)
from cds.fhir_values import Resource, bundle_resources
from cds.hooks import HOOKS, RELATIVE_REFERENCE

TOKEN = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9.]*)\s*\}\}")
USER_TOKENS = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}


def template_errors(template: str, hooks: tuple[str, ...]) -> list[str]:
    """Tokens a template may not use on these hooks (root-level prefetch-token context fields and
    the four user identifiers)."""
    allowed = set(USER_TOKENS) | {
        f"context.{f.name}" for h in hooks for f in HOOKS[h].fields if f.prefetch_token
    }
    return [
        f"prefetch token {{{{{name}}}}} is not allowed on {'/'.join(hooks)}"
        for name in TOKEN.findall(template)
        if name not in allowed
    ]


def token_values(context: dict[str, Any]) -> dict[str, str]:
    """Each prefetch token's value for a request's context (tokens without a value are absent)."""
    values = {
        f"context.{name}": value
        for name, value in context.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }
    match = RELATIVE_REFERENCE.fullmatch(str(context.get("userId", "")))
    if match:
        for token, resource_type in USER_TOKENS.items():
            if match.group(1) == resource_type:
                values[token] = match.group(2)
    return {k: str(v) for k, v in values.items()}


def render_template(template: str, values: dict[str, str]) -> str | None:
    """The template with its tokens replaced; None when a token has no value here."""
    missing = [name for name in TOKEN.findall(template) if name not in values]
    if missing:
        return None
    return TOKEN.sub(lambda m: values[m.group(1)], template)


class PrefetchData:
    """The data a service asked for in its prefetch templates, by key: what the client sent,
    otherwise fetched (once) from the source with the rendered template."""

    def __init__(
        self,
        *,
        templates: dict[str, str],
        supplied: dict[str, Any],
        context: dict[str, Any],
        source: DataSource,
    ) -> None:
        self.templates = templates
        self.source = source
        self._values = token_values(context)
        self._loaded: dict[str, Any] = dict(supplied)

    def get(self, key: str) -> Any:
        if key not in self._loaded:
            self._loaded[key] = self._fetch(key)
        elif _has_next_page(self._loaded[key]) and wants_all_pages(self.templates.get(key, "")):
            self._loaded[key] = self._complete(self._loaded[key])
        return self._loaded[key]

    def resource(self, key: str) -> Resource | None:
        value = self.get(key)
        return value if isinstance(value, dict) and value.get("resourceType") != "Bundle" else None

    def resources(self, key: str, resource_type: str | None = None) -> list[Resource]:
        value = self.get(key)
        if isinstance(value, dict) and value.get("resourceType") != "Bundle":
            return [value] if resource_type in (None, value.get("resourceType")) else []
        return bundle_resources(value, resource_type)

    def search(self, query: str) -> list[Resource]:
        """Data beyond the prefetch templates, straight from the source."""
        return bundle_resources(run_query(self.source, query))

    def _fetch(self, key: str) -> Any:
        query = render_template(self.templates[key], self._values)
        return None if query is None else run_query(self.source, query)

    def _complete(self, bundle: dict[str, Any]) -> dict[str, Any]:
        try:
            return complete_bundle(self.source, bundle)
        except DataUnavailable:
            return bundle  # the client chose to page; what it sent is what we have


def _has_next_page(value: Any) -> bool:
    return isinstance(value, dict) and any(
        link.get("relation") == "next" for link in value.get("link") or [] if isinstance(link, dict)
    )
