"""Restricting charts and breaking the glass. Both write the audit trail themselves."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from clinical.chart_access.models import GlassBreak, RestrictedChart
from clinical.chart_access.selectors import (
    OPEN_RESTRICTED_CHART,
    ChartDecision,
    chart_access_check,
)
from clinical.fhir.access import forget_fhir_access
from clinical.roles import RESTRICT_CHARTS
from fhirapi.audit.events import BREAK_GLASS, CARE_TEAM_CHANGE
from fhirapi.audit.services import MINOR_FAILURE, audit_record
from fhirapi.services import FhirRepository

MINIMUM_REASON_LENGTH = 10


@transaction.atomic
def chart_restrict(
    *, patient_id: str, acting_user: AbstractBaseUser, care_team: Iterable[AbstractBaseUser]
) -> RestrictedChart:
    """Restrict the chart to exactly this care team (members added and removed to match)."""
    if not acting_user.has_perm(RESTRICT_CHARTS):
        raise PermissionDenied("restricting charts needs the admin role")
    FhirRepository().read("Patient", patient_id)  # raises ResourceNotFound / ResourceGone
    chart, _ = RestrictedChart.objects.get_or_create(
        patient_id=patient_id,
        defaults={"restricted_by": acting_user, "restricted_at": timezone.now()},
    )
    team = set(care_team)
    current = set(get_users_with_perms(chart, only_with_perms_in=["open_restricted_chart"]))
    for user in current - team:
        remove_perm(OPEN_RESTRICTED_CHART, user, chart)
    for user in team - current:
        assign_perm(OPEN_RESTRICTED_CHART, user, chart)
    forget_fhir_access(acting_user, *team, *current)
    names = ", ".join(sorted(user.get_username() for user in team)) or "nobody"
    audit_record(
        kind=CARE_TEAM_CHANGE,
        username=acting_user.get_username(),
        patient_id=patient_id,
        description=f"chart restricted; care team: {names}",
    )
    return chart


def break_glass(*, user: AbstractBaseUser, patient_id: str, reason: str) -> GlassBreak:
    """Open a restricted chart outside its care team, for a while, saying why. Refusals are
    audited too: someone tried."""
    reason = reason.strip()
    if len(reason) < MINIMUM_REASON_LENGTH:
        raise ValidationError(
            f"Say why you need this chart (at least {MINIMUM_REASON_LENGTH} characters)."
        )
    access = chart_access_check(user=user, patient_id=patient_id)
    if access.allowed:
        raise ValidationError("This chart is open to you: there is no glass to break.")
    if access.decision == ChartDecision.FORBIDDEN:
        audit_record(
            kind=BREAK_GLASS,
            username=user.get_username(),
            outcome=MINOR_FAILURE,
            patient_id=patient_id,
            purpose=reason,
            description="break-the-glass refused: no permission to break the glass",
        )
        raise PermissionDenied("Your role may not break the glass.")
    return _glass_break_record(user=user, patient_id=patient_id, reason=reason)


@transaction.atomic
def _glass_break_record(*, user: AbstractBaseUser, patient_id: str, reason: str) -> GlassBreak:
    now = timezone.now()
    glass = GlassBreak.objects.create(
        user=user,
        patient_id=patient_id,
        reason=reason,
        broken_at=now,
        expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
    )
    forget_fhir_access(user)
    audit_record(
        kind=BREAK_GLASS,
        username=user.get_username(),
        patient_id=patient_id,
        purpose=reason,
        description=f"access until {glass.expires_at:%Y-%m-%d %H:%M %Z}",
    )
    return glass
