"""SMART scopes (App Launch 2.x, scopes-and-launch-context): the grammar, v1 -> v2 meaning, and
whether one scope covers another.

Resource scopes are `<level>/<type or *>.<permissions>[?<query>]`:
- level `patient`, `user` or `system` (case-sensitive);
- a resource type starting upper-case, or `*`;
- v2 permissions: a non-empty, in-order subset of `cruds`; v1 `read` (= `rs`), `write` (= `cud`)
  or `*` (= `cruds`); out-of-order (`dus`) or empty permissions are refused;
- v2 only: `?param=value&...`, search parameters that narrow the scope (ANDed).
The other scopes SMART defines are the context and identity scopes in `CONTEXT_SCOPES`."""

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

LEVELS = ("patient", "user", "system")
CONTEXT_SCOPES = frozenset(
    {
        "openid",
        "fhirUser",
        "profile",
        "launch",
        "launch/patient",
        "launch/encounter",
        "offline_access",
        "online_access",
    }
)
REFRESH_SCOPES = frozenset({"offline_access", "online_access"})
V1_PERMISSIONS = {"read": "rs", "write": "cud", "*": "cruds"}
PERMISSION_NAMES = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}

_RESOURCE_SCOPE = re.compile(
    r"(?P<level>patient|user|system)/(?P<type>\*|[A-Z][A-Za-z0-9]*)"
    r"\.(?P<permissions>[A-Za-z*]+)(?:\?(?P<query>.*))?",
    re.DOTALL,
)
_V2_PERMISSIONS = re.compile(r"c?r?u?d?s?")


class InvalidScope(ValueError):
    """A scope that looks like a resource scope but breaks the grammar."""


@dataclass(frozen=True)
class ResourceScope:
    level: str  # patient, user or system
    resource_type: str  # a FHIR resource type, or "*" for all
    permissions: frozenset[str]  # letters of "cruds"
    constraints: tuple[tuple[str, str], ...]  # v2 query: (parameter, value) pairs, ANDed
    text: str

    def permits(self, permission: str, resource_type: str) -> bool:
        """Whether this scope allows `permission` (a letter of cruds) on `resource_type`."""
        return permission in self.permissions and self.resource_type in ("*", resource_type)

    def covers(self, other: "ResourceScope") -> bool:
        """Whether everything `other` grants is granted by this scope too."""
        return (
            self.level == other.level
            and self.resource_type in ("*", other.resource_type)
            and other.permissions <= self.permissions
            and set(self.constraints) <= set(other.constraints)
        )


def parse_resource_scope(text: str) -> ResourceScope | None:
    """The resource scope `text` states; None if it is not a resource scope at all (the level
    is not patient, user or system). Raises InvalidScope when it breaks the grammar."""
    if text.partition("/")[0] not in LEVELS:
        return None
    match = _RESOURCE_SCOPE.fullmatch(text)
    if match is None:
        raise InvalidScope(f"{text!r} is not <level>/<Type or *>.<permissions>")
    permissions = _permissions(match["permissions"], text, has_query=match["query"] is not None)
    return ResourceScope(
        level=match["level"],
        resource_type=match["type"],
        permissions=frozenset(permissions),
        constraints=_constraints(match["query"], text),
        text=text,
    )


def _permissions(written: str, text: str, *, has_query: bool) -> str:
    if written in V1_PERMISSIONS:
        if has_query:
            raise InvalidScope(f"{text!r}: search constraints need v2 permissions (cruds)")
        return V1_PERMISSIONS[written]
    if not written or not _V2_PERMISSIONS.fullmatch(written):
        raise InvalidScope(f"{text!r}: permissions must be an in-order subset of 'cruds'")
    return written


def _constraints(query: str | None, text: str) -> tuple[tuple[str, str], ...]:
    if query is None:
        return ()
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidScope(f"{text!r}: the constraint is not param=value&...") from None
    if not pairs or any(not name or not value for name, value in pairs):
        raise InvalidScope(f"{text!r}: the constraint is not param=value&...")
    return tuple(pairs)


def is_valid_scope(text: str) -> bool:
    """Whether `text` is a scope of SMART's grammar (a resource scope or a context scope)."""
    try:
        return parse_resource_scope(text) is not None or text in CONTEXT_SCOPES
    except InvalidScope:
        return False


def resource_scopes(scopes: list[str] | frozenset[str]) -> list[ResourceScope]:
    """The resource scopes among granted `scopes` (granted scopes are valid by construction)."""
    parsed = (parse_resource_scope(scope) for scope in scopes)
    return [scope for scope in parsed if scope is not None]


def scope_covered(requested: str, allowed: list[str]) -> bool:
    """Whether the scope `requested` is within the scopes in `allowed` (an app's registration)."""
    wanted = parse_resource_scope(requested)
    if wanted is None:
        return requested in allowed
    return any(scope.covers(wanted) for scope in resource_scopes(_valid(allowed)))


def _valid(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if is_valid_scope(scope)]
