"""Reads for the rule pages: rules with their latest version and feedback figures, the patient a
rule is tried on, and the names conditions may use."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count

from cds.feedback import acceptance_rate
from cds.medications.knowledge import allergy_classes, drug_classes
from cds.models import CardFeedback, IssuedCard, Rule, RuleVersion
from cds.rules.engine import latest_versions
from cds.value_sets import value_sets
from fhirapi.services import FhirRepository, user_actor


@dataclass(frozen=True)
class RuleSummary:
    rule: Rule
    version: RuleVersion
    issued: int
    accepted: int
    overridden: int

    @property
    def acceptance_rate(self) -> float | None:
        return acceptance_rate(accepted=self.accepted, overridden=self.overridden)


def rule_summaries() -> list[RuleSummary]:
    issued = dict(
        IssuedCard.objects.filter(rule_version__isnull=False)
        .values_list("rule_version__rule_id")
        .annotate(n=Count("uuid"))
    )
    outcomes: dict[tuple[int, str], int] = {
        (rule_id, outcome): n
        for rule_id, outcome, n in CardFeedback.objects.filter(rule__isnull=False)
        .values_list("rule_id", "outcome")
        .annotate(n=Count("card_uuid", distinct=True))
    }
    return [
        RuleSummary(
            rule=version.rule,
            version=version,
            issued=issued.get(version.rule_id, 0),
            accepted=outcomes.get((version.rule_id, "accepted"), 0),
            overridden=outcomes.get((version.rule_id, "overridden"), 0),
        )
        for version in sorted(latest_versions(enabled_only=False), key=lambda v: v.rule.slug)
    ]


def rule_by_slug(slug: str) -> Rule | None:
    return Rule.objects.filter(slug=slug).first()


def rule_latest_version(rule: Rule) -> RuleVersion:
    return rule.versions.order_by("-number").first()


def try_patient(*, query: str, user: AbstractBaseUser) -> dict[str, Any] | None:
    """The one Patient whose id, else whose identifier (e.g. the MRN), is `query`; None when no
    patient or several match."""
    repository = FhirRepository(actor=user_actor(user))
    for name in ("_id", "identifier"):
        bundle = repository.search_bundle(
            "Patient",
            [(name, query), ("_count", "2"), ("_total", "none")],
            base_url=settings.FHIR_BASE_URL,
            strict=True,
        )
        found = [entry["resource"] for entry in bundle.get("entry") or []]
        if found:
            return found[0] if len(found) == 1 else None
    return None


@dataclass(frozen=True)
class Vocabulary:
    """The names conditions may use: value sets (condition), drug and allergy classes."""

    value_sets: list[tuple[str, str]]
    drug_classes: list[tuple[str, str]]
    allergy_classes: list[tuple[str, str]]


def condition_vocabulary() -> Vocabulary:
    return Vocabulary(
        value_sets=sorted((name, vs["title"]) for name, vs in value_sets().items()),
        drug_classes=sorted((c.id, c.name) for c in drug_classes().values()),
        allergy_classes=sorted((c.id, c.name) for c in allergy_classes()),
    )
