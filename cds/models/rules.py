from django.conf import settings
from django.db import models

from cds.hooks import SERVICE_HOOKS

HOOK_CHOICES = [(hook, hook) for hook in SERVICE_HOOKS]


class Rule(models.Model):
    """A decision-support rule written without code; each enabled rule is a CDS service
    `rule-<slug>`. Its content lives in versions: every edit adds a RuleVersion."""

    slug = models.SlugField(max_length=80, unique=True)
    enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        permissions = [("manage_rules", "Can manage CDS rules")]

    def __str__(self) -> str:
        return self.slug

    @property
    def service_id(self) -> str:
        return f"rule-{self.slug}"


class RuleVersion(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField()
    hook = models.CharField(max_length=40, choices=HOOK_CHOICES)
    conditions = models.JSONField(help_text="A list of conditions, all of which must hold")
    card = models.JSONField(help_text="The card template")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rule", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="cds_rule_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.rule.slug} v{self.number}"
