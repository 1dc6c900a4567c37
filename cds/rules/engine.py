"""Rules as CDS services: each enabled rule's latest version becomes service `rule-<slug>`."""

from dataclasses import dataclass
from functools import partial

from django.utils import timezone

from cds.cards import Card
from cds.data_sources import RepositorySource
from cds.models import RuleVersion
from cds.prefetch import PrefetchData
from cds.registry import CdsCall, ServiceDefinition
from cds.rules.card_template import render_card
from cds.rules.conditions import (
    ConditionResult,
    PatientView,
    conditions_prefetch,
    evaluate,
    parse_conditions,
)
from fhirapi.services import Actor, FhirRepository


@dataclass(frozen=True)
class TryResult:
    results: list[ConditionResult]
    card: Card | None


def rule_service(version: RuleVersion) -> ServiceDefinition:
    conditions = parse_conditions(version.conditions)
    return ServiceDefinition(
        id=version.rule.service_id,
        hooks=(version.hook,),
        title=version.title,
        description=version.description,
        run=partial(_run, version),
        prefetch=conditions_prefetch(conditions),
        rule_version_id=version.pk,
    )


def latest_versions(*, enabled_only: bool) -> list[RuleVersion]:
    versions = RuleVersion.objects.select_related("rule").order_by("rule_id", "-number")
    if enabled_only:
        versions = versions.filter(rule__enabled=True)
    return list(versions.distinct("rule_id"))


def enabled_rule_services() -> list[ServiceDefinition]:
    return [rule_service(v) for v in latest_versions(enabled_only=True)]


def enabled_rule_service(slug: str) -> ServiceDefinition | None:
    version = (
        RuleVersion.objects.select_related("rule")
        .filter(rule__slug=slug, rule__enabled=True)
        .order_by("-number")
        .first()
    )
    return rule_service(version) if version else None


def _run(version: RuleVersion, call: CdsCall) -> list[Card]:
    view = PatientView(data=call.data, context=call.request.context, now=call.now)
    results = evaluate(parse_conditions(version.conditions), view)
    if not all(r.matched for r in results):
        return []
    return [_card(version, call.request.context)]


def _card(version: RuleVersion, context: dict) -> Card:
    return render_card(
        version.card, context=context, service_id=version.rule.service_id, title=version.title
    )


def try_rule(*, version: RuleVersion, patient_id: str, actor: Actor) -> TryResult:
    """Which conditions hold for a patient of our store, and the card the rule would return."""
    context = {"patientId": patient_id, "userId": "Practitioner/example"}
    data = PrefetchData(
        templates=conditions_prefetch(parse_conditions(version.conditions)),
        supplied={},
        context=context,
        source=RepositorySource(FhirRepository(actor=actor)),
    )
    view = PatientView(data=data, context=context, now=timezone.now())
    results = evaluate(parse_conditions(version.conditions), view)
    card = _card(version, context) if all(r.matched for r in results) else None
    return TryResult(results=results, card=card)
