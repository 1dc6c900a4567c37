from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClinicalConfig(AppConfig):
    name = "clinical"

    def ready(self) -> None:
        from clinical.accounts import signin_audit

        signin_audit.connect()
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="wintehr-ensure-roles")


def _ensure_roles(sender, **kwargs) -> None:
    """Every database has the role groups and their permissions once migrated."""
    from clinical.roles import ensure_role_groups

    ensure_role_groups()
