"""A rule's card template: its JSON form, its checking, and the card it renders for a request.

    {"indicator": "warning", "summary": "...", "detail": "markdown",
     "suggestion": {"label": "...", "actions": [{"type": "create", "description": "...",
                                                 "resource": {...}}]},
     "link": {"label": "...", "url": "https://...", "type": "absolute" | "smart",
              "appContext": "..."}}

Strings inside suggestion actions and the link may use {{context.patientId}},
{{context.encounterId}} and {{context.userId}}."""

import re
from typing import Any

from cds.cards import (
    INDICATORS,
    SUMMARY_MAX,
    Action,
    Card,
    Coding,
    Link,
    Source,
    Suggestion,
    card_errors,
)
from cds.rules.conditions import RuleDefinitionError
from cds.services.card_parts import OVERRIDE_REASONS, WINTEHR_TOPICS

PLACEHOLDER = re.compile(r"\{\{\s*context\.(patientId|encounterId|userId)\s*\}\}")


def check_card_template(template: Any) -> dict[str, Any]:
    """The template when it renders a valid card; RuleDefinitionError naming each problem."""
    if not isinstance(template, dict):
        raise RuleDefinitionError(["the card template must be a JSON object"])
    errors = []
    if template.get("indicator") not in INDICATORS:
        errors.append(f"indicator must be one of {', '.join(INDICATORS)}")
    summary = template.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("summary is required")
    elif len(summary) > SUMMARY_MAX:
        errors.append(f"summary must be at most {SUMMARY_MAX} characters ({len(summary)} given)")
    if not errors:
        sample = {"patientId": "example", "encounterId": "example", "userId": "Practitioner/x"}
        rendered = render_card(template, context=sample, service_id="rule-x", title="x")
        errors += [e.removeprefix("card.") for e in card_errors(rendered.as_json())]
    if errors:
        raise RuleDefinitionError(errors)
    return template


def render_card(
    template: dict[str, Any], *, context: dict[str, Any], service_id: str, title: str
) -> Card:
    suggestion = template.get("suggestion")
    link = template.get("link")
    return Card(
        summary=template["summary"],
        indicator=template["indicator"],
        detail=template.get("detail") or None,
        source=Source(
            label=f"WintEHR rule: {title}",
            topic=Coding(service_id, title, system=WINTEHR_TOPICS),
        ),
        suggestions=(_suggestion(_fill(suggestion, context)),) if suggestion else (),
        links=(_link(_fill(link, context)),) if link else (),
        override_reasons=OVERRIDE_REASONS,
    )


def _fill(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: str(context.get(m.group(1), "")), value)
    if isinstance(value, list):
        return [_fill(v, context) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, context) for k, v in value.items()}
    return value


def _suggestion(data: Any) -> Suggestion:
    if not isinstance(data, dict):
        return Suggestion(label="")  # card_errors names the problem
    actions = data.get("actions") or []
    return Suggestion(
        label=data.get("label", ""),
        actions=tuple(
            Action(
                type=a.get("type", ""),
                description=a.get("description", ""),
                resource=a.get("resource"),
                resource_id=a.get("resourceId"),
            )
            for a in actions
            if isinstance(a, dict)
        ),
        is_recommended=True,
    )


def _link(data: Any) -> Link:
    if not isinstance(data, dict):
        return Link(label="", url="")
    return Link(
        label=data.get("label", ""),
        url=data.get("url", ""),
        type=data.get("type", "absolute"),
        app_context=data.get("appContext"),
    )
