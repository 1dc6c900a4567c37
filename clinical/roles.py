"""The roles people hold in WintEHR, as Django groups, and the permissions each role grants.

The clinical permissions live on clinical.accounts.models.AccessRight; the admin role's come from
the apps whose admin pages it uses. ensure_role_groups() runs after every `migrate` (see
clinical/apps.py) and from `manage.py setup_demo`; it adds what is missing and takes nothing away,
so permissions an administrator added by hand survive.
"""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db.models import Q

from clinical.accounts.models import RolePolicy

VIEW_CHART = "clinical.view_chart"
EDIT_CHART = "clinical.edit_chart"
SIGN_ORDERS = "clinical.sign_orders"
VERIFY_ORDERS = "clinical.verify_orders"
REGISTER_PATIENTS = "clinical.register_patients"
BREAK_GLASS = "clinical.break_glass"
RESTRICT_CHARTS = "clinical.restrict_charts"
VIEW_AUDIT = "audit.view_auditrecord"

ADMINISTRATION = (
    VIEW_AUDIT,
    RESTRICT_CHARTS,
    "cds.manage_rules",
    "clinical.view_glassbreak",
    "clinical.view_restrictedchart",
    "clinical.view_rolepolicy",
    "clinical.add_rolepolicy",
    "clinical.change_rolepolicy",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.view_group",
    "otp_totp.view_totpdevice",
    "otp_totp.delete_totpdevice",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "fhirexplorer.use_explorer",  # the FHIR explorer at /explorer/ (fhirapi/explorer)
    # The admin index's other pages: SMART apps, CDS clients and services, import/export jobs.
    "oauth2_provider.view_application",
    "oauth2_provider.add_application",
    "oauth2_provider.change_application",
    "cds.view_cdsclient",
    "cds.add_cdsclient",
    "cds.change_cdsclient",
    "cds.view_externalcdsservice",
    "cds.add_externalcdsservice",
    "cds.change_externalcdsservice",
    "cds.view_cardfeedback",
    "fhirbulk.view_importjob",
    "fhirbulk.add_importjob",
    "fhirbulk.view_exportjob",
)


@dataclass(frozen=True)
class Role:
    name: str
    title: str
    permissions: tuple[str, ...]


PHYSICIAN = Role("physician", "Physician", (VIEW_CHART, EDIT_CHART, SIGN_ORDERS, BREAK_GLASS))
NURSE = Role("nurse", "Nurse", (VIEW_CHART, EDIT_CHART, BREAK_GLASS))
PHARMACIST = Role("pharmacist", "Pharmacist", (VIEW_CHART, VERIFY_ORDERS))
FRONT_DESK = Role("front-desk", "Front desk", (REGISTER_PATIENTS,))
ADMIN = Role("admin", "Administrator", ADMINISTRATION)
ROLES = (PHYSICIAN, NURSE, PHARMACIST, FRONT_DESK, ADMIN)


def ensure_role_groups() -> dict[str, Group]:
    """Create the role groups (each with its security policy) and grant their permissions."""
    _create_missing_permissions()
    groups = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role.name)
        group.permissions.add(*permissions_named(role.permissions))
        RolePolicy.objects.get_or_create(group=group)
        groups[role.name] = group
    return groups


def permissions_named(names: tuple[str, ...]) -> list[Permission]:
    wanted = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(wanted))
    if len(found) != len(set(names)):
        have = {f"{p.content_type.app_label}.{p.codename}" for p in found}
        raise LookupError(f"permissions not defined: {sorted(set(names) - have)}")
    return found


def user_has_role(user: AbstractBaseUser | AnonymousUser, role: Role) -> bool:
    return user.is_authenticated and user.groups.filter(name=role.name).exists()


def user_roles(user: AbstractBaseUser) -> list[Role]:
    names = set(user.groups.values_list("name", flat=True))
    return [role for role in ROLES if role.name in names]


def _create_missing_permissions() -> None:
    """`migrate` creates permissions app by app; the roles need those of later apps too."""
    labels = {name.split(".")[0] for role in ROLES for name in role.permissions}
    for label in sorted(labels):
        create_permissions(apps.get_app_config(label), verbosity=0)
