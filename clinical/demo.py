"""Demo users for a development instance: one per role, with known passwords."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from clinical.roles import ADMIN, ROLES, ensure_role_groups


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


def demo_username(role_name: str) -> str:
    return f"demo-{role_name}"


def demo_password(role_name: str) -> str:
    return f"wintehr-{role_name}-demo"


@transaction.atomic
def demo_users_ensure() -> list[DemoLogin]:
    """Create (or reset) the demo users; refused outside DEBUG, where known passwords are a hole."""
    if not settings.DEBUG:
        raise PermissionError("demo users are only created when DEBUG is on")
    groups = ensure_role_groups()
    user_model = get_user_model()
    logins = []
    for role in ROLES:
        user, _ = user_model.objects.get_or_create(username=demo_username(role.name))
        user.first_name, user.last_name = "Demo", role.title
        user.is_staff = user.is_superuser = role == ADMIN
        user.set_password(demo_password(role.name))
        user.save()
        user.groups.set([groups[role.name]])
        logins.append(DemoLogin(user.username, demo_password(role.name), role.title))
    return logins
