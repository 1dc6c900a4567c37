"""What an actor may do with FHIR data: the policy FhirRepository checks on every interaction.

`AccessPolicy` (FULL_ACCESS) lets everything through: the system and its internal jobs. People
act under their role's rights and the restricted charts (`FHIR_USER_POLICY`, see
`fhirapi.services.user_actor`), combined with a token's scopes (`CombinedPolicy`).
`ScopePolicy` holds a SMART token's resource scopes and, for patient-context tokens, the patient:

- an interaction needs a scope with its permission letter on the resource type
  (c create; r read, vread, instance history; u update, patch; d delete; s search, type history);
- a `patient/` scope admits only resources in that patient's compartment (per the Patient
  CompartmentDefinition), plus reading and searching types that are in no patient's compartment
  (Practitioner, Organization, Medication, ...);
- a v2 constraint (`patient/Observation.rs?category=laboratory`) admits only resources that
  match it (token and reference parameters; anything else is never matched);
- `user/` and `system/` scopes admit any resource of the type (the user's own rights still apply).

Refusals raise `Forbidden` (403) naming the interaction and type only, never data.

Searches under a `patient/` scope run inside that patient's compartment: FhirRepository passes
`search_compartment()` (the token's patient, `Actor.patient_id`) to the search engine as
`compartment_patient`, and the engine returns and counts only resources whose Patient compartments
hold that id. Every entry of a result is checked again (`visible_bundle`). Type and system history
have no such filter, so they need an unconstrained `user/` or `system/` scope."""

from dataclasses import dataclass
from typing import Any

from fhirapi.errors import Forbidden
from fhirapi.search import registry
from fhirapi.smart.scopes import PERMISSION_NAMES, ResourceScope

Params = list[tuple[str, str]]


class AccessPolicy:
    """Full access: every check passes."""

    patient_id: str | None = None
    restricted = False

    def require(self, permission: str, resource_type: str | None) -> None:
        """Refuse unless some scope allows `permission` on `resource_type` (None: every type)."""

    def require_resource(self, permission: str, resource: Any) -> None:
        """Refuse unless some scope allows `permission` on this very resource (content)."""

    def require_visible(self, resource: Any) -> None:
        """Refuse unless the resource may be read or searched (a conditional's match)."""

    def sees(self, resource: Any) -> bool:
        """Whether the resource may be among the actor's search results (`require_visible`)."""
        try:
            self.require_visible(resource)
        except Forbidden:
            return False
        return True

    def require_whole_type(self, resource_type: str | None) -> None:
        """Refuse an interaction over every resource of a type (or of all types when None):
        type and system history, $meta. Only unconstrained user or system scopes allow it."""

    def search_params(self, resource_type: str | None, params: Params) -> Params:
        """The parameters to search with: the request's, narrowed by the scope's constraints."""
        return params

    def search_compartment(self, resource_type: str | None) -> str | None:
        """The Patient whose compartment a search must stay in (a `patient/` scope), or None."""
        return None

    def visible_bundle(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """The search result without entries the actor may not see."""
        return bundle

    def hidden_patients(self) -> tuple[str, ...]:
        """Patients whose whole compartment the actor may not see (restricted charts): searches
        leave it out, reads of it are refused."""
        return ()

    def hides(self, resource: Any) -> bool:
        """Whether the resource is in a hidden Patient's compartment (type and system history
        leave such versions out)."""
        return False


FULL_ACCESS = AccessPolicy()


class CombinedPolicy(AccessPolicy):
    """What both policies allow: a person's rights (`outer`: role, restricted charts) narrowed by
    what they granted an app (`inner`: a SMART token's scopes)."""

    def __init__(self, outer: AccessPolicy, inner: AccessPolicy) -> None:
        self.parts = (outer, inner)
        self.patient_id = inner.patient_id or outer.patient_id
        self.restricted = outer.restricted or inner.restricted

    def require(self, permission: str, resource_type: str | None) -> None:
        for part in self.parts:
            part.require(permission, resource_type)

    def require_resource(self, permission: str, resource: Any) -> None:
        for part in self.parts:
            part.require_resource(permission, resource)

    def require_visible(self, resource: Any) -> None:
        for part in self.parts:
            part.require_visible(resource)

    def require_whole_type(self, resource_type: str | None) -> None:
        for part in self.parts:
            part.require_whole_type(resource_type)

    def search_params(self, resource_type: str | None, params: Params) -> Params:
        for part in self.parts:
            params = part.search_params(resource_type, params)
        return params

    def search_compartment(self, resource_type: str | None) -> str | None:
        outer, inner = self.parts
        return inner.search_compartment(resource_type) or outer.search_compartment(resource_type)

    def visible_bundle(self, bundle: dict[str, Any]) -> dict[str, Any]:
        for part in self.parts:
            bundle = part.visible_bundle(bundle)
        return bundle

    def hidden_patients(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for part in self.parts for p in part.hidden_patients()))

    def hides(self, resource: Any) -> bool:
        return any(part.hides(resource) for part in self.parts)


@dataclass(frozen=True)
class ScopePolicy(AccessPolicy):
    grants: tuple[ResourceScope, ...]
    patient_id: str | None = None
    restricted = True

    def require(self, permission: str, resource_type: str | None) -> None:
        if not self._grants(permission, resource_type or "*"):
            raise _forbidden(permission, resource_type)

    def require_resource(self, permission: str, resource: Any) -> None:
        resource_type = _resource_type(resource)
        if resource_type is None:
            return  # no content (a deleted version) or malformed (validation refuses it)
        if not any(
            self._admits(grant, permission, resource)
            for grant in self._grants(permission, resource_type)
        ):
            raise _forbidden(permission, resource_type)

    def require_visible(self, resource: Any) -> None:
        if _resource_type(resource) is not None and not self._visible(resource):
            raise _forbidden("r", resource["resourceType"])

    def require_whole_type(self, resource_type: str | None) -> None:
        if not any(
            grant.level != "patient" and not grant.constraints
            for grant in self._grants("s", resource_type or "*")
        ):
            raise Forbidden(
                f"the token's scopes do not allow this interaction over every "
                f"{resource_type or 'resource'}; it needs an unconstrained user/ or system/ "
                "scope with s"
            )

    def search_params(self, resource_type: str | None, params: Params) -> Params:
        return params + list(self._search_grant(resource_type).constraints)

    def search_compartment(self, resource_type: str | None) -> str | None:
        grant = self._search_grant(resource_type)
        if grant.level != "patient":
            return None
        if resource_type is not None and not registry.patient_compartment_params(resource_type):
            return None  # shared data (Practitioner, Medication...)
        return self.patient_id

    def visible_bundle(self, bundle: dict[str, Any]) -> dict[str, Any]:
        entries = bundle.get("entry")
        if not entries:
            return bundle
        kept = [entry for entry in entries if self._visible(entry.get("resource"))]
        return {**bundle, "entry": kept}

    # -- the rules -----------------------------------------------------------------------------

    def _grants(self, permission: str, resource_type: str) -> list[ResourceScope]:
        return [
            grant
            for grant in self.grants
            if permission in grant.permissions
            and grant.resource_type in ("*", resource_type)
            and (grant.level != "patient" or self.patient_id)
        ]

    def _search_grant(self, resource_type: str | None) -> ResourceScope:
        """The scope a search runs under: the widest with `s` on the type (user/ or system/
        before patient/, fewer constraints first)."""
        grants = self._grants("s", resource_type or "*")
        if not grants:
            raise _forbidden("s", resource_type)
        return min(grants, key=lambda g: (g.level == "patient", len(g.constraints)))

    def _visible(self, resource: Any) -> bool:
        if _resource_type(resource) is None or resource["resourceType"] == "OperationOutcome":
            return True
        return any(
            self._admits(grant, permission, resource)
            for permission in "rs"
            for grant in self._grants(permission, resource["resourceType"])
        )

    def _admits(self, grant: ResourceScope, permission: str, resource: dict[str, Any]) -> bool:
        if grant.level != "patient" and not grant.constraints:
            return True
        from fhirapi.search.extract import extract_index_values

        values = extract_index_values(resource)
        if grant.level == "patient" and not _in_compartment(
            permission, resource["resourceType"], values.patient_compartments, self.patient_id
        ):
            return False
        return all(_matches(name, value, values) for name, value in grant.constraints)


def _resource_type(resource: Any) -> str | None:
    if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
        return resource["resourceType"]
    return None


def _in_compartment(
    permission: str, resource_type: str, compartments: set[str], patient_id: str | None
) -> bool:
    if not registry.patient_compartment_params(resource_type):
        return permission in "rs"  # shared data (Practitioner, Medication...): read-only
    return patient_id in compartments


def _matches(name: str, wanted: str, values: Any) -> bool:
    """Whether the resource's index values satisfy `name=wanted` (values ORed by commas)."""
    options = wanted.split(",")
    param = registry.get_parameter(values.resource_type, name)
    if param is None:
        return False
    if param.type == registry.ParamType.TOKEN:
        rows = [row for row in values.tokens if row.param == name]
        return any(_token_matches(option, row) for option in options for row in rows)
    if param.type == registry.ParamType.REFERENCE:
        rows = [row for row in values.references if row.param == name]
        return any(_reference_matches(option, row) for option in options for row in rows)
    return False


def _token_matches(option: str, row: Any) -> bool:
    if "|" not in option:
        return row.code == option
    system, _, code = option.partition("|")
    if not code:
        return row.system == system
    return row.code == code and (row.system or "") == system


def _reference_matches(option: str, row: Any) -> bool:
    if "/" in option:
        resource_type, _, resource_id = option.rpartition("/")
        return row.target_type == resource_type.rsplit("/", 1)[-1] and row.target_id == resource_id
    return row.target_id == option


def _forbidden(permission: str, resource_type: str | None) -> Forbidden:
    return Forbidden(
        f"the token's scopes do not allow {PERMISSION_NAMES[permission]} of "
        f"{resource_type or 'every resource type'} here"
    )
