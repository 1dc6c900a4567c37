"""Reference target types: a Reference points to a resource of a type its element allows.

The allowed types are the targetProfiles of the element in R4 (the structure table's
`targets`; an element that allows any Resource has none, so is not checked). The type a
reference points to is known
  from its text: `Type/id`, `Type/id/_history/vid`, an absolute URL that ends so, and a
    conditional reference `Type?search`;
  from the resource it sits in: `#id` names one of the container's contained resources, `#`
    the container itself;
  from the nearest enclosing Bundle: a `urn:uuid:`/`urn:oid:` that is the fullUrl of an entry.
Other references (a urn outside a Bundle, a URL of another shape, `#id` naming nothing) are not
checked here; fhirapi.store.references deals with references that resolve to nothing.
"""

import re
from typing import Any

from fhirapi.store.resource_types import RESOURCE_TYPES

ID = r"[A-Za-z0-9\-.]{1,64}"
RELATIVE = re.compile(rf"([A-Za-z]+)/{ID}(/_history/{ID})?")
ABSOLUTE_TAIL = re.compile(rf"/([A-Za-z]+)/{ID}(/_history/{ID})?$")


class ReferenceScope:
    """Where the local references (`#id`, a Bundle entry's fullUrl) inside a resource resolve."""

    __slots__ = ("bundle", "container", "entry_types")

    def __init__(self, container: dict[str, Any], bundle: dict[str, Any] | None) -> None:
        self.container = container  # the resource whose `contained` an `#id` points into
        self.bundle = bundle  # the nearest enclosing Bundle (or the resource, if a Bundle)
        self.entry_types: dict[str, str] | None = None  # fullUrl -> type, made on first use

    @classmethod
    def of(cls, resource: dict[str, Any], outer: "ReferenceScope | None") -> "ReferenceScope":
        """The scope inside `resource`, a resource that is not a contained one."""
        is_bundle = resource.get("resourceType") == "Bundle"
        return cls(resource, resource if is_bundle or outer is None else outer.bundle)

    def target_type(self, reference: str) -> str | None:
        """The resource type `reference` points to, when it can be known."""
        if reference[:1] == "#":
            return self.contained_type(reference[1:])
        if reference[:4] == "urn:":
            return self.entry_type(reference)
        return named_type(reference)

    def contained_type(self, contained_id: str) -> str | None:
        if not contained_id:
            return known_type(self.container.get("resourceType"))
        contained = self.container.get("contained")
        for resource in contained if isinstance(contained, list) else ():
            if isinstance(resource, dict) and resource.get("id") == contained_id:
                return known_type(resource.get("resourceType"))
        return None

    def entry_type(self, full_url: str) -> str | None:
        if self.bundle is None:
            return None
        if self.entry_types is None:
            self.entry_types = bundle_entry_types(self.bundle)
        return self.entry_types.get(full_url)


def bundle_entry_types(bundle: dict[str, Any]) -> dict[str, str]:
    """fullUrl -> resource type of each entry of `bundle` that has both."""
    entries = bundle.get("entry")
    types: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else ():
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and isinstance(entry.get("fullUrl"), str):
            resource_type = known_type(resource.get("resourceType"))
            if resource_type is not None:
                types[entry["fullUrl"]] = resource_type
    return types


def named_type(reference: str) -> str | None:
    """The resource type a reference names in its own text, if it does."""
    head, question, _query = reference.partition("?")
    if question:
        return known_type(head)
    type_name, _slash, rest = reference.partition("/")
    if rest and "/" not in rest:  # Type/id, the usual case: no need for a pattern
        return known_type(type_name)
    match = RELATIVE.fullmatch(reference) or ABSOLUTE_TAIL.search(reference)
    return None if match is None else known_type(match[1])


def known_type(resource_type: Any) -> str | None:
    return resource_type if type(resource_type) is str and resource_type in RESOURCE_TYPES else None


def target_problem(reference: str, target: str, allowed: frozenset[str]) -> str:
    allowed_types = " | ".join(sorted(allowed))
    return (
        f"{reference!r} points to a resource of type {target}; this element allows {allowed_types}"
    )
