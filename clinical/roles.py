"""The roles people hold in WintEHR, as Django groups."""

from dataclasses import dataclass

from django.contrib.auth.models import Group


@dataclass(frozen=True)
class Role:
    name: str
    title: str


PHYSICIAN = Role("physician", "Physician")
NURSE = Role("nurse", "Nurse")
PHARMACIST = Role("pharmacist", "Pharmacist")
FRONT_DESK = Role("front-desk", "Front desk")
ADMIN = Role("admin", "Administrator")
ROLES = (PHYSICIAN, NURSE, PHARMACIST, FRONT_DESK, ADMIN)


def ensure_role_groups() -> dict[str, Group]:
    return {role.name: Group.objects.get_or_create(name=role.name)[0] for role in ROLES}
