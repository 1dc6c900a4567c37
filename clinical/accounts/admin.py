from django.contrib import admin

from clinical.accounts.models import RolePolicy


@admin.register(RolePolicy)
class RolePolicyAdmin(admin.ModelAdmin):
    list_display = ["group", "require_second_factor"]
    list_editable = ["require_second_factor"]
