from django.contrib.auth.models import Group
from django.db import models


class AccessRight(models.Model):
    """No table: the holder of the clinical permissions that roles grant (clinical/roles.py)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_chart", "Open patient charts"),
            ("edit_chart", "Document in patient charts"),
            ("sign_orders", "Sign orders"),
            ("verify_orders", "Verify medication orders"),
            ("register_patients", "Register patients"),
            ("break_glass", "Break the glass to open a restricted chart"),
            ("restrict_charts", "Restrict charts and name their care team"),
        ]

    def __str__(self) -> str:
        return "clinical access right"


class RolePolicy(models.Model):
    """Security settings of one role (group), set by administrators."""

    group = models.OneToOneField(
        Group, on_delete=models.CASCADE, primary_key=True, related_name="policy"
    )
    require_second_factor = models.BooleanField(
        default=False,
        help_text="Members must enter an authenticator-app code to use WintEHR.",
    )

    class Meta:
        verbose_name_plural = "role policies"

    def __str__(self) -> str:
        return f"policy of {self.group.name}"
