"""What a person may do with FHIR data, whichever way they come (workspace, REST API, SMART app,
CDS prefetch, pharmacy, imaging): `fhirapi.services.user_actor` builds every user's actor with
`user_policy` (settings.FHIR_USER_POLICY).

- Roles: FHIR_RIGHTS, one table, says which interactions (c create, r read, u update, d delete,
  s search) each role has on which resource types; a user holds the union of their roles'
  rights, a superuser everything, a user with no role nothing.
- Restricted charts (clinical/chart_access): outside the care team, and unless the user broke the
  glass in the last BREAK_GLASS_MINUTES (as the chart pages), the Patient and everything in its
  compartment is hidden: reads, vreads, instance history and `$everything` are refused (403),
  searches, includes, `_has`, chains and type history leave it out.

The rights and the hidden charts are looked up once per user object (one request), like Django's
permission cache; `forget_fhir_access` drops them when a glass break or a care team changes.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from guardian.models import GroupObjectPermission, UserObjectPermission

from clinical.chart_access.models import GlassBreak, RestrictedChart
from clinical.roles import ADMIN, FRONT_DESK, NURSE, PHARMACIST, PHYSICIAN
from fhirapi.errors import Forbidden
from fhirapi.search.query import Criterion, parse_query
from fhirapi.search.registry import resource_types
from fhirapi.services import Actor
from fhirapi.smart.policy import AccessPolicy, Params
from fhirapi.smart.scopes import PERMISSION_NAMES

ALL = frozenset({"*"})
# The server's own configuration: read by everyone, changed by administrators only.
CONFIGURATION = frozenset(
    {
        "CapabilityStatement",
        "CompartmentDefinition",
        "GraphDefinition",
        "ImplementationGuide",
        "MessageDefinition",
        "NamingSystem",
        "OperationDefinition",
        "SearchParameter",
        "StructureDefinition",
        "StructureMap",
        "Subscription",
        "TerminologyCapabilities",
    }
)
DEMOGRAPHICS_AND_SCHEDULING = frozenset(
    {"Patient", "RelatedPerson", "Coverage", "Appointment", "Schedule", "Slot"}
)
DIRECTORY = frozenset({"Practitioner", "PractitionerRole", "Organization", "Location"})
MEDICATIONS = frozenset(
    {
        "Medication",
        "MedicationAdministration",
        "MedicationDispense",
        "MedicationKnowledge",
        "MedicationRequest",
        "MedicationStatement",
    }
)
CLINICAL = "clinical"  # every type but CONFIGURATION


@dataclass(frozen=True)
class Right:
    """`letters` on `types` (ALL, CLINICAL or a set of types), except the `excluding` ones."""

    types: frozenset[str] | str
    letters: str
    excluding: frozenset[str] = frozenset()

    def covers(self, permission: str, resource_type: str) -> bool:
        if permission not in self.letters or resource_type in self.excluding:
            return False
        if self.types == CLINICAL:
            return resource_type not in CONFIGURATION and resource_type != "*"
        return self.types == ALL or resource_type in self.types


# The role matrix. Nurses document everything but orders medications through no one: the
# pharmacy and the MAR change MedicationRequest as pharmacists (verify, return, dispense) and
# record doses as MedicationAdministration. Pharmacists write what the pharmacy writes, and their
# own Practitioner (who verified). The front desk registers and schedules.
FHIR_RIGHTS: dict[str, tuple[Right, ...]] = {
    PHYSICIAN.name: (Right(ALL, "rs"), Right(CLINICAL, "cud")),
    NURSE.name: (
        Right(ALL, "rs"),
        Right(CLINICAL, "cud", excluding=frozenset({"MedicationRequest"})),
    ),
    PHARMACIST.name: (Right(ALL, "rs"), Right(MEDICATIONS, "cu"), Right(DIRECTORY, "cu")),
    FRONT_DESK.name: (Right(DEMOGRAPHICS_AND_SCHEDULING, "crus"), Right(DIRECTORY, "rs")),
    ADMIN.name: (Right(ALL, "cruds"),),
}
EVERYTHING = (Right(ALL, "cruds"),)


@dataclass(frozen=True)
class UserAccess:
    rights: tuple[Right, ...]
    hidden: tuple[str, ...]  # the restricted charts (Patient ids) closed to the user now


class UserPolicy(AccessPolicy):
    restricted = True  # changes and deletes check the current content (restricted charts)

    def __init__(self, access: UserAccess) -> None:
        self.access = access
        self._hidden = frozenset(access.hidden)

    def require(self, permission: str, resource_type: str | None) -> None:
        if not self._allows(permission, resource_type or "*"):
            raise _role_forbidden(permission, resource_type)

    def require_resource(self, permission: str, resource: Any) -> None:
        resource_type = _resource_type(resource)
        if resource_type is None:
            return
        self.require(permission, resource_type)
        if self.hides(resource):
            raise Forbidden(
                f"this {resource_type} belongs to a restricted chart that is not open to you; "
                "its care team may open it, others may break the glass in the workspace",
                expression=[resource_type],
            )

    def require_visible(self, resource: Any) -> None:
        self.require_resource("r", resource)

    def require_whole_type(self, resource_type: str | None) -> None:
        self.require("s", resource_type)

    def search_params(self, resource_type: str | None, params: Params) -> Params:
        if not self._allows("s", "*"):
            for searched in sorted(_searched_types(resource_type, params)):
                self.require("s", searched)
        return params

    def visible_bundle(self, bundle: dict[str, Any]) -> dict[str, Any]:
        entries = bundle.get("entry")
        if not entries or self._allows("r", "*"):
            return bundle
        kept = [e for e in entries if self._readable(_resource_type(e.get("resource")))]
        return {**bundle, "entry": kept}

    def hidden_patients(self) -> tuple[str, ...]:
        return self.access.hidden

    def hides(self, resource: Any) -> bool:
        if not self._hidden or _resource_type(resource) is None:
            return False
        from fhirapi.search.extract import extract_index_values

        return not self._hidden.isdisjoint(extract_index_values(resource).patient_compartments)

    def _allows(self, permission: str, resource_type: str) -> bool:
        return any(right.covers(permission, resource_type) for right in self.access.rights)

    def _readable(self, resource_type: str | None) -> bool:
        return resource_type in (None, "OperationOutcome") or self._allows("r", resource_type)


def user_policy(user: AbstractBaseUser) -> UserPolicy:
    access = getattr(user, "_fhir_access", None)
    if access is None:
        access = UserAccess(rights=_rights(user), hidden=_closed_charts(user))
        user._fhir_access = access  # type: ignore[attr-defined]
    return UserPolicy(access)


def directory_actor(user: AbstractBaseUser) -> Actor:
    """The user finding patients (the finder): their role's rights, with restricted charts listed
    too, as the finder marks them; opening one still needs the care team or the glass."""
    rights = user_policy(user).access.rights
    return Actor(username=user.get_username(), policy=UserPolicy(UserAccess(rights, hidden=())))


def forget_fhir_access(*users: AbstractBaseUser) -> None:
    """Look the users' rights and restricted charts up again on their next FHIR access."""
    for user in users:
        user.__dict__.pop("_fhir_access", None)


def _rights(user: AbstractBaseUser) -> tuple[Right, ...]:
    if not user.is_active:
        return ()
    if user.is_superuser:  # type: ignore[attr-defined]
        return EVERYTHING
    names = user.groups.values_list("name", flat=True)  # type: ignore[attr-defined]
    return tuple(right for name in names for right in FHIR_RIGHTS.get(name, ()))


def _closed_charts(user: AbstractBaseUser) -> tuple[str, ...]:
    """The restricted charts the user is not on the care team of (a django-guardian object
    permission, theirs or their group's) and has no open glass break for: one cheap query when
    no chart is restricted, one more otherwise."""
    if user.is_superuser or not RestrictedChart.objects.exists():  # type: ignore[attr-defined]
        return ()
    kind = ContentType.objects.get_for_model(RestrictedChart)  # cached by Django
    granted = {"content_type": kind, "permission__codename": "open_restricted_chart"}
    mine = UserObjectPermission.objects.filter(user=user, **granted).values("object_pk")
    ours = GroupObjectPermission.objects.filter(group__user=user, **granted).values("object_pk")
    glass = GlassBreak.objects.filter(user=user, expires_at__gt=timezone.now())
    closed = (
        RestrictedChart.objects.annotate(key=Cast("pk", CharField()))
        .exclude(key__in=mine)
        .exclude(key__in=ours)
        .exclude(patient_id__in=glass.values("patient_id"))
    )
    return tuple(sorted(closed.values_list("patient_id", flat=True)))


def _searched_types(resource_type: str | None, params: Params) -> set[str]:
    """Every type a search reads: the searched ones (all for a system search without `_type`)
    and those its chains and `_has` look into."""
    query = parse_query(resource_type, params)
    types = set(query.resource_types or resource_types())
    pending = list(query.criteria)
    while pending:
        criterion: Criterion = pending.pop()
        if criterion.chain is not None:
            types.update(criterion.target_types)
            pending.append(criterion.chain)
    return types


def _resource_type(resource: Any) -> str | None:
    if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
        return resource["resourceType"]
    return None


def _role_forbidden(permission: str, resource_type: str | None) -> Forbidden:
    return Forbidden(
        f"your role does not allow {PERMISSION_NAMES[permission]} of "
        f"{resource_type or 'every resource type'}",
        expression=[resource_type] if resource_type else [],
    )
