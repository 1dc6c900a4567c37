from django.contrib.admin.apps import AdminConfig


class WintehrAdminConfig(AdminConfig):
    """django.contrib.admin with our site (loaded at app start-up: no model imports here)."""

    default_site = "clinical.accounts.admin_site.WintehrAdminSite"
