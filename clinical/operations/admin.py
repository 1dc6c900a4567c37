"""The users list as the administrator's overview: each user's roles, whether a second factor is
set up, and whether sign-in is locked now (django-axes), with a filter for locked users and an
action that unlocks them. Replaces Django's stock UserAdmin only (an admin another app registered
for users is left alone)."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinical.operations.services import signin_unlock

User = get_user_model()
UNLOCK_PERMISSION = "axes.delete_accessattempt"


class LockedFilter(admin.SimpleListFilter):
    title = "locked out"
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_locked=self.value() == "yes")
        return queryset


class OverviewUserAdmin(UserAdmin):
    list_display = [
        "username",
        "email",
        "roles",
        "second_factor",
        "locked",
        "is_staff",
        "is_active",
        "last_login",
    ]
    list_filter = ["groups", LockedFilter, "is_staff", "is_active"]
    actions = ["unlock"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        locked_since = timezone.now() - settings.AXES_COOLOFF_TIME
        return (
            super()
            .get_queryset(request)
            .prefetch_related("groups")
            .annotate(
                has_second_factor=Exists(
                    TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
                ),
                is_locked=Exists(
                    AccessAttempt.objects.filter(
                        username=OuterRef("username"),
                        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
                        attempt_time__gte=locked_since,
                    )
                ),
            )
        )

    @admin.display(description="roles")
    def roles(self, user) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all())) or "—"

    @admin.display(description="second factor", boolean=True)
    def second_factor(self, user) -> bool:
        return user.has_second_factor

    @admin.display(description="locked out", boolean=True)
    def locked(self, user) -> bool:
        return user.is_locked

    @admin.action(description="Unlock sign-in of the selected users", permissions=["unlock"])
    def unlock(self, request: HttpRequest, queryset: QuerySet) -> None:
        usernames = list(queryset.values_list("username", flat=True))
        removed = signin_unlock(usernames=usernames, acting_user=request.user)
        messages.success(request, f"Cleared {removed} lock-out record(s).")

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(UNLOCK_PERMISSION)


if type(admin.site._registry.get(User)) is UserAdmin:
    admin.site.unregister(User)
    admin.site.register(User, OverviewUserAdmin)
