"""Where a FHIRPath Patch path points: the elements it selects, each with the JSON object and key
(and list index) it lives under, so that it can be replaced or removed.

fhirpathpy evaluates FHIRPath but answers with values, not with where they live. So the path's
navigation spine (the resource type, element names, `[n]` indexers) is walked here, one `Element`
per match; each function call on the spine (`where(...)`, `first()`, `extension(url)`, ...) is
evaluated by fhirpathpy with those elements as its input, and what it selects is mapped back to
elements. Anything else in the spine (operators, literals, variables) is refused.

Element names and types come from fhirpathpy's R4 model; which elements repeat (needed to add
one that is absent) comes from fhir.resources' R4B models, whose data types and backbone elements
match R4's for all that PATCH touches.
"""

import functools
import itertools
import typing
from types import UnionType
from typing import Any

from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ErrorListener
from antlr4.tree.Tree import ParseTreeWalker
from fhir.resources.R4B import get_fhir_model_class
from fhirpathpy.engine import do_eval
from fhirpathpy.engine.invocations.constants import constants
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.engine.util import get_data
from fhirpathpy.models import models
from fhirpathpy.parser.ASTPathListener import ASTPathListener
from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser

R4 = models["r4"]
Ast = dict[str, Any]


class UnreadablePath(ValueError):
    """The path is not FHIRPath, or not one that selects elements."""


class UnappliablePath(ValueError):
    """The path or element name does not fit this resource's definitions."""


class Element(ResourceNode):
    """A node of the resource that knows where it lives: `holder[key]` or `holder[key][index]`.

    `data` is the element's value; for a primitive, `_data` is its `_key` companion holding its
    id and extensions. `name` is the FHIRPath name (`deceased` for `deceasedBoolean`);
    `owner_type` is the type of the element the holder belongs to.
    """

    def __init__(
        self,
        data: Any,
        type_path: str | None,
        *,
        place: tuple[dict[str, Any], str, str, str | None] | None = None,
        index: int | None = None,
        extras: Any = None,
    ):
        super().__init__(data, type_path, _data=extras, index=index)
        self.holder, self.key, self.name, self.owner_type = place or (None, "", "", None)

    def content(self, *, create: bool = False) -> dict[str, Any] | None:
        """The JSON object the element's children live in; a primitive's is its `_key` companion,
        made when `create` is set."""
        if isinstance(self.data, dict):
            return self.data
        if isinstance(self._data, dict):
            return self._data
        if not create or self.holder is None:
            return None
        self._data = {}
        self._set(f"_{self.key}", self._data)
        return self._data

    def detach(self) -> None:
        """Remove the element (and its `_key` companion) from its holder."""
        for key in (self.key, f"_{self.key}"):
            if self.index is None:
                self.holder.pop(key, None)
            elif isinstance(self.holder.get(key), list) and self.index < len(self.holder[key]):
                del self.holder[key][self.index]

    def replace(self, key: str, value: tuple[Any, Any]) -> None:
        """Put a new value (and primitive companion) in the element's place, under `key` (which
        differs from the old key when a choice element changes type)."""
        if key != self.key:
            self.detach()
            self.key = key
        self._set(key, value[0])
        if value[1] is not None or f"_{key}" in self.holder:
            self._set(f"_{key}", value[1])

    def _set(self, key: str, value: Any) -> None:
        if self.index is None:
            self.holder[key] = value
            return
        items = self.holder.get(key)
        if not isinstance(items, list):
            items = self.holder[key] = []
        items.extend([None] * (self.index + 1 - len(items)))
        items[self.index] = value


class ElementFinder:
    """Evaluates patch paths against one resource."""

    def __init__(self, resource: dict[str, Any]):
        self.resource = resource
        self.root = Element(resource, resource.get("resourceType"))

    def elements(self, path: str) -> list[Element]:
        """The elements the path selects, in document order."""
        constants.reset()
        return self._walk(_syntax_tree(path), path)

    def list_owners(self, path: str) -> tuple[list[Element], str]:
        """For a path naming a list (`Patient.identifier`): the elements that would hold it, and
        its key. The list itself may be absent."""
        tree = _syntax_tree(path)
        last = tree["children"][-1] if tree["type"] == "InvocationExpression" else {}
        if last.get("type") != "MemberInvocation":
            raise UnreadablePath(f"{path} must end with the name of a repeating element")
        constants.reset()
        return self._walk(tree["children"][0], path), _identifier(last)

    def _walk(self, node: Ast, path: str) -> list[Element]:
        kind = node["type"]
        if kind == "TermExpression":
            return self._start(_term_name(node, path))
        if kind == "IndexerExpression":
            focus = self._walk(node["children"][0], path)
            position = self._index(focus, node["children"][1], path)
            return focus[position : position + 1] if position >= 0 else []
        if kind == "InvocationExpression":
            focus = self._walk(node["children"][0], path)
            step = node["children"][1]
            if step["type"] == "MemberInvocation":
                return _children(focus, _identifier(step))
            if step["type"] == "FunctionInvocation":
                return self._selected(focus, step, path)
        raise UnreadablePath(f"{path} must select elements; it uses an unsupported {kind}")

    def _start(self, name: str) -> list[Element]:
        if name[:1].isupper():  # a type name: the resource itself, when it is of that type
            return [self.root] if name == self.root.path else []
        return _children([self.root], name)

    def _index(self, focus: list[Element], node: Ast, path: str) -> int:
        values = [get_data(value) for value in self._evaluate(focus, node, path)]
        if len(values) != 1 or type(values[0]) is not int:
            raise UnreadablePath(f"an indexer in {path} is not an integer")
        return values[0]

    def _selected(self, focus: list[Element], function: Ast, path: str) -> list[Element]:
        return [
            self._as_element(found, focus, path) for found in self._evaluate(focus, function, path)
        ]

    def _as_element(self, found: Any, focus: list[Element], path: str) -> Element:
        if isinstance(found, Element):
            return found
        data = get_data(found)  # e.g. extension(url) answers with the extension object itself
        if isinstance(data, dict):
            for element in _descendants(focus):
                if element.data is data:
                    return element
        raise UnreadablePath(f"{path} selects values that are not elements of the resource")

    def _evaluate(self, focus: list[Element], node: Ast, path: str) -> list[Any]:
        context = {
            "dataRoot": [self.root],
            "vars": {"context": self.resource, "resource": self.resource},
            "model": R4,
            "userInvocationTable": {},
        }
        try:
            return do_eval(context, focus, node)
        except Exception as error:  # fhirpathpy reports every evaluation problem as Exception
            raise UnreadablePath(f"cannot evaluate {path}: {error}") from error


def _children(focus: list[Element], name: str) -> list[Element]:
    """The elements called `name` (a choice name such as `value` finds `valueQuantity`)."""
    found = []
    for element in focus:
        content = element.content()
        key = _present_key(content, element.path, name) if content is not None else None
        if key is not None:
            found += _elements_at(content, element.path, key, name)
    return found


def _descendants(focus: list[Element]) -> list[Element]:
    found: list[Element] = []
    pending = list(focus)
    while pending:
        element = pending.pop()
        content = element.content() or {}
        keys = [key for key in content if not key.startswith("_") and key != "resourceType"]
        below = [child for key in keys for child in _elements_at(content, element.path, key, key)]
        found += below
        pending += below
    return found


def child_type(type_path: str | None, key: str) -> str:
    """The type path of an element's child (`HumanName`; `Patient.contact` for a backbone)."""
    if key in ("extension", "modifierExtension"):
        return "Extension"
    path = f"{type_path}.{key}"
    path = R4["pathsDefinedElsewhere"].get(path, path)
    return R4["path2Type"].get(path, path)


def element_key(type_path: str | None, name: str, value_type: str | None) -> str:
    """The JSON key for element `name` holding a value of `value_type`: `valueQuantity` for a
    choice element `value`, the name itself otherwise."""
    choices = R4["choiceTypePaths"].get(f"{type_path}.{name}")
    if not choices:
        return name
    if value_type not in choices:
        raise UnappliablePath(f"{type_path}.{name} takes a value of type {', '.join(choices)}")
    return f"{name}{value_type}"


@functools.cache
def is_repeating(type_path: str | None, key: str) -> bool:
    """Whether the element `key` of type `type_path` repeats (is a JSON array)."""
    if key in ("extension", "modifierExtension"):
        return True
    if key == "id":
        return False
    fields = _model_fields(type_path or "")
    if key not in fields:
        raise UnappliablePath(f"{type_path} has no element {key!r}")
    return _is_list(fields[key].annotation)


def _model_fields(type_path: str) -> dict[str, Any]:
    model_name = "".join(part[:1].upper() + part[1:] for part in type_path.split("."))
    try:
        model = get_fhir_model_class(model_name)
    except ValueError as error:
        raise UnappliablePath(f"elements cannot be added to a {type_path}") from error
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, UnionType):
        return any(_is_list(argument) for argument in typing.get_args(annotation))
    return origin is list


def _present_key(content: dict[str, Any], type_path: str | None, name: str) -> str | None:
    choices = R4["choiceTypePaths"].get(f"{type_path}.{name}", [])
    for key in [name, *(f"{name}{choice}" for choice in choices)]:
        if key in content or f"_{key}" in content:
            return key
    return None


def _elements_at(
    content: dict[str, Any], owner_type: str | None, key: str, name: str
) -> list[Element]:
    type_path = child_type(owner_type, key)
    place = (content, key, name, owner_type)
    values, extras = content.get(key), content.get(f"_{key}")
    if not isinstance(values, list) and not isinstance(extras, list):
        return [Element(values, type_path, place=place, extras=extras)]
    values = values if isinstance(values, list) else []
    extras = extras if isinstance(extras, list) else []
    return [
        Element(_at(values, i), type_path, place=place, index=i, extras=_at(extras, i))
        for i in range(max(len(values), len(extras)))
    ]


def _at(items: list[Any], index: int) -> Any:
    return items[index] if index < len(items) else None


class _SyntaxErrors(ErrorListener):
    def __init__(self, path: str):
        self.path = path

    def syntaxError(self, recognizer, offendingSymbol, line, column, msg, e):
        raise UnreadablePath(f"{self.path!r} is not FHIRPath (column {column + 1}: {msg})")


def _syntax_tree(path: str) -> Ast:
    """fhirpathpy's syntax tree for the path; its own parser skips over syntax errors."""
    errors = _SyntaxErrors(path)
    parser = FHIRPathParser(CommonTokenStream(_lexer(_keyword_members_quoted(path), errors)))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    expression = parser.entireExpression().expression()
    builder = ASTPathListener()
    ParseTreeWalker().walk(builder, expression)
    return builder.parentStack[0]["children"][0]


def _lexer(path: str, errors: ErrorListener) -> FHIRPathLexer:
    lexer = FHIRPathLexer(InputStream(path))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    return lexer


def _keyword_members_quoted(path: str) -> str:
    """The path with element names that are FHIRPath keywords quoted: HL7 writes `text.div`, the
    grammar wants `text.`div``. A keyword right after a dot can only be an element name."""
    tokens = [t for t in _lexer(path, _SyntaxErrors(path)).getAllTokens() if t.channel == 0]
    keywords = [
        token
        for before, token in itertools.pairwise(tokens)
        if before.text == "."
        and token.type < FHIRPathLexer.DATETIME
        and token.text.isalpha()
        and token.text not in ("is", "as", "in", "contains")  # the grammar takes these as names
    ]
    for token in reversed(keywords):
        path = f"{path[: token.start]}`{token.text}`{path[token.stop + 1 :]}"
    return path


def _term_name(term: Ast, path: str) -> str:
    invocation = term["children"][0]
    if invocation["type"] == "InvocationTerm" and invocation["children"][0]["type"] == (
        "MemberInvocation"
    ):
        return _identifier(invocation["children"][0])
    raise UnreadablePath(f"{path} must start with the resource type or an element name")


def _identifier(member: Ast) -> str:
    return member["children"][0]["text"].strip("`")
