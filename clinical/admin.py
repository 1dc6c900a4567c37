"""Admin pages of the clinical app, defined beside their models."""

import clinical.accounts.admin
import clinical.chart_access.admin  # noqa: F401
