"""May this user open this chart? The workspace asks before showing any of a patient's data."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone
from guardian.shortcuts import get_users_with_perms

from clinical.chart_access.models import GlassBreak, RestrictedChart
from clinical.roles import BREAK_GLASS, VIEW_CHART

OPEN_RESTRICTED_CHART = "clinical.open_restricted_chart"


class ChartDecision(StrEnum):
    ALLOWED = "allowed"
    NEEDS_GLASS = "needs-glass"  # restricted: the user may break the glass, with a reason
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class ChartAccess:
    decision: ChartDecision
    restricted: bool = False
    glass_expires_at: datetime | None = None  # set when access comes from breaking the glass

    @property
    def allowed(self) -> bool:
        return self.decision == ChartDecision.ALLOWED


def chart_access_check(*, user: AbstractBaseUser | AnonymousUser, patient_id: str) -> ChartAccess:
    if not user.has_perm(VIEW_CHART):
        return ChartAccess(ChartDecision.FORBIDDEN)
    chart = RestrictedChart.objects.filter(patient_id=patient_id).first()
    if chart is None:
        return ChartAccess(ChartDecision.ALLOWED)
    if user.has_perm(OPEN_RESTRICTED_CHART, chart):
        return ChartAccess(ChartDecision.ALLOWED, restricted=True)
    glass = active_glass_break(user=user, patient_id=patient_id)
    if glass is not None:
        return ChartAccess(
            ChartDecision.ALLOWED, restricted=True, glass_expires_at=glass.expires_at
        )
    if user.has_perm(BREAK_GLASS):
        return ChartAccess(ChartDecision.NEEDS_GLASS, restricted=True)
    return ChartAccess(ChartDecision.FORBIDDEN, restricted=True)


def chart_open_to(*, users: Sequence[AbstractBaseUser], patient_id: str) -> set:
    """The primary keys of those of `users` for whom chart_access_check allows the chart: the
    same decision for many users at once, in at most three queries (live screens ask it for
    every follower of a change)."""
    viewers = {user.pk for user in users if user.is_active and user.has_perm(VIEW_CHART)}
    if not viewers:
        return viewers
    chart = RestrictedChart.objects.filter(patient_id=patient_id).first()
    if chart is None:
        return viewers
    team = get_users_with_perms(
        chart, with_superusers=True, only_with_perms_in=[OPEN_RESTRICTED_CHART.split(".")[1]]
    ).filter(pk__in=viewers, is_active=True)
    glass = GlassBreak.objects.filter(
        user__in=viewers, patient_id=patient_id, expires_at__gt=timezone.now()
    )
    return set(team.values_list("pk", flat=True)) | set(glass.values_list("user_id", flat=True))


def active_glass_break(*, user: AbstractBaseUser, patient_id: str) -> GlassBreak | None:
    return (
        GlassBreak.objects.filter(user=user, patient_id=patient_id, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )
