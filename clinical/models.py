from clinical.accounts.models import AccessRight, RolePolicy
from clinical.chart_access.models import GlassBreak, RestrictedChart

__all__ = ["AccessRight", "GlassBreak", "RestrictedChart", "RolePolicy"]
