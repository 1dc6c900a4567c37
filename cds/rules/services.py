"""Writes on rules: each is atomic, keyword-only, and records who acted (the version's author)."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max

from cds.models import Rule, RuleVersion
from cds.rules.card_template import check_card_template
from cds.rules.conditions import parse_conditions
from cds.rules.engine import TryResult, try_rule
from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.services import audit_record
from fhirapi.services import user_actor


@dataclass(frozen=True)
class RuleContent:
    title: str
    description: str
    hook: str
    conditions: list[dict[str, Any]]
    card: dict[str, Any]


@transaction.atomic
def rule_create(*, slug: str, content: RuleContent, acting_user: AbstractBaseUser) -> Rule:
    rule = Rule(slug=slug)
    rule.full_clean()
    rule.save()
    _add_version(rule, content, acting_user)
    return rule


@transaction.atomic
def rule_update(*, rule: Rule, content: RuleContent, acting_user: AbstractBaseUser) -> RuleVersion:
    """A new version with the content; earlier versions stay, so issued cards keep their source."""
    Rule.objects.select_for_update().filter(pk=rule.pk).first()
    version = _add_version(rule, content, acting_user)
    rule.save(update_fields=["updated_at"])
    return version


@transaction.atomic
def rule_set_enabled(*, rule: Rule, enabled: bool, acting_user: AbstractBaseUser) -> None:
    rule.enabled = enabled
    rule.save(update_fields=["enabled", "updated_at"])


def rule_try_on_patient(
    *, version: RuleVersion, patient_id: str, acting_user: AbstractBaseUser
) -> TryResult:
    """Evaluate the rule on a patient's data, read as the user (FhirError when their role may
    not); reading it is audited."""
    outcome = try_rule(version=version, patient_id=patient_id, actor=user_actor(acting_user))
    audit_record(
        kind=REST_KINDS["operation"],
        username=acting_user.get_username(),
        patient_id=patient_id,
        resource_type="Patient",
        resource_id=patient_id,
        description=f"CDS rule {version.rule.service_id} v{version.number} tried on the patient",
    )
    return outcome


def _add_version(rule: Rule, content: RuleContent, acting_user: AbstractBaseUser) -> RuleVersion:
    parse_conditions(content.conditions)
    check_card_template(content.card)
    latest = rule.versions.aggregate(n=Max("number"))["n"] or 0
    version = RuleVersion(
        rule=rule,
        number=latest + 1,
        title=content.title,
        description=content.description,
        hook=content.hook,
        conditions=content.conditions,
        card=content.card,
        created_by=acting_user,
    )
    version.full_clean()
    version.save()
    return version
