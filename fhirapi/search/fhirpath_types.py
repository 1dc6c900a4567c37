"""What the FHIRPath compiler knows of R4 element types, taken from the R4 model fhirpathpy ships
(element path -> type, choice elements, paths defined elsewhere, type -> parent type).

A static type is a FHIR type name (`CodeableConcept`, `dateTime`, `Observation`), the path of a
backbone element (`Observation.component`), or UNKNOWN when the model cannot tell (the resource
inside `Bundle.entry.resource`, a resolved reference, an element the model does not list).
"""

from functools import cache

from fhirpathpy.models import models

from fhirapi.search.fhirpath_parse import fhir_type_name

UNKNOWN = "?"
# FHIR primitive types (and the System.String the model uses for ids and urls): no child elements.
PRIMITIVE_TYPES = frozenset(
    {
        "base64Binary",
        "boolean",
        "canonical",
        "code",
        "date",
        "dateTime",
        "decimal",
        "id",
        "instant",
        "integer",
        "markdown",
        "oid",
        "positiveInt",
        "string",
        "time",
        "unsignedInt",
        "uri",
        "url",
        "uuid",
        "xhtml",
        "System.String",
        "System.Boolean",
    }
)


class TypeModel:
    def __init__(self, model: dict) -> None:
        self.path_types: dict[str, str] = model["path2Type"]
        self.choices: dict[str, list[str]] = model["choiceTypePaths"]
        self.elsewhere: dict[str, str] = model["pathsDefinedElsewhere"]
        self.parents: dict[str, str] = model["type2Parent"]
        self.backbones = frozenset(
            path.rsplit(".", depth)[0]
            for path in self.path_types
            for depth in range(1, path.count("."))
        )

    def children(self, static_type: str, name: str) -> list[tuple[str, str]]:
        """The JSON keys that element `name` of a `static_type` value may be stored under, each
        with its static type: one key, or one per type of a choice element (`value[x]`)."""
        if static_type == UNKNOWN:
            return [(name, UNKNOWN)]
        if static_type in PRIMITIVE_TYPES:
            return []
        for owner in self.lineage(static_type):
            path = f"{owner}.{name}"
            path = self.elsewhere.get(path, path)
            if path in self.choices:
                return [
                    (name + suffix, self.type_of(path + suffix)) for suffix in self.choices[path]
                ]
            if path in self.path_types or path in self.backbones:
                return [(name, self.type_of(path))]
        return [(name, UNKNOWN)]

    def type_of(self, path: str) -> str:
        if path in self.path_types:
            return self.path_types[path]
        return path if path in self.backbones else UNKNOWN

    def lineage(self, static_type: str) -> list[str]:
        """The type and its ancestors; a backbone path is a BackboneElement."""
        chain = [static_type]
        current = "BackboneElement" if static_type in self.backbones else static_type
        if current != static_type:
            chain.append(current)
        while current in self.parents:
            current = self.parents[current]
            chain.append(current)
        return chain

    def is_subtype(self, static_type: str, type_name: str) -> bool | None:
        """Whether every value of `static_type` is a `type_name`; None when only the value can
        tell (UNKNOWN static type)."""
        if static_type == UNKNOWN:
            return None
        wanted = fhir_type_name(type_name)
        if static_type.startswith("System."):
            return fhir_type_name(static_type) == wanted
        return wanted in self.lineage(static_type)


@cache
def r4_model() -> TypeModel:
    return TypeModel(models["r4"])
