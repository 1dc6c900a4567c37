"""Compile the FHIRPath of search parameters into plain Python functions.

fhirpathpy interprets a parse tree on every call (about 10 µs for `Observation.code`, far more
with `where`); indexing evaluates ~40 expressions per resource. So each (expression, resource
type) is compiled once into the source of a Python function with the path walked as nested
loops over dict lookups, the element types known at compile time (`Observation.value as
Quantity` reads `valueQuantity` and nothing else), and `where(resolve() is Patient)` a call on the
Reference. Expressions using what the generator does not know fall back to fhirpathpy
(`fhirpath_fallback`); `CompiledExpression.compiled` tells which.

An evaluation returns `(value, static type)` pairs: the JSON value of each node and its FHIR type
(see `fhirpath_types`). Semantics follow fhirpathpy with the R4 model, except: `as` filters each
item like `ofType` (search expressions apply it to collections), System type names mean the FHIR
primitive (`as(DateTime)` is `as(dateTime)`), unions keep duplicates, and the extensions of
primitive values (`_birthDate`) are not walked.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from fhirapi.search import fhirpath_runtime
from fhirapi.search.fhirpath_fallback import fallback_evaluator
from fhirapi.search.fhirpath_parse import (
    Binary,
    Call,
    FhirPathSyntaxError,
    Indexer,
    Literal,
    Member,
    Node,
    TypeOp,
    TypeSpecifier,
    Unary,
    Variable,
    fhir_type_name,
    parse,
)
from fhirapi.search.fhirpath_types import PRIMITIVE_TYPES, UNKNOWN, TypeModel, r4_model

Evaluate = Callable[..., list[tuple[Any, str]]]  # (resource, focus=None) -> [(value, type)]
Sink = Callable[[str, str], None]  # emits code for one result item: (Python variable, type)


class UnsupportedExpression(Exception):
    """The generator cannot compile this FHIRPath; fhirpathpy evaluates it instead."""


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    expression: str
    resource_type: str
    context_type: str | None  # the static type of the focus; None: the resource itself
    evaluate: Evaluate
    compiled: bool  # False: evaluated by fhirpathpy
    detail: str  # the generated Python source, or why the expression fell back
    result_types: tuple[str, ...] = ()  # the static types results can have (compiled only)


@cache
def compile_expression(
    expression: str, resource_type: str, context_type: str | None = None
) -> CompiledExpression:
    """Compile `expression` for resources of `resource_type`, evaluated on the resource or, when
    `context_type` is given, on an element of that static type (composite components)."""
    try:
        generator = _Generator(resource_type, context_type)
        source = generator.function(parse(expression))
    except (UnsupportedExpression, FhirPathSyntaxError) as error:
        evaluate = fallback_evaluator(expression, resource_type, context_type)
        reason = f"{type(error).__name__}: {error}"
        return CompiledExpression(expression, resource_type, context_type, evaluate, False, reason)
    evaluate = _define(source, expression)
    result_types = tuple(sorted(set(generator.result_types)))
    return CompiledExpression(
        expression, resource_type, context_type, evaluate, True, source, result_types
    )


_RUNTIME_NAMES = {
    name: getattr(fhirpath_runtime, name)
    for name in (
        "equals",
        "has_extension",
        "logical_and",
        "logical_implies",
        "logical_not",
        "logical_or",
        "logical_xor",
        "not_equals",
        "reference_is",
        "resolve_stub",
        "singleton_truth",
        "value_is",
        "where_truth",
    )
}


def _define(source: str, expression: str) -> Evaluate:
    namespace: dict[str, Any] = {**_RUNTIME_NAMES, "Decimal": Decimal}
    exec(compile(source, f"<fhirpath {expression}>", "exec"), namespace)
    return namespace["evaluate"]


_LOGICAL = {
    "and": "logical_and",
    "or": "logical_or",
    "xor": "logical_xor",
    "implies": "logical_implies",
}
_EQUALITY = {"=": "equals", "!=": "not_equals"}
_BOOLEAN_FUNCTIONS = {"exists", "empty", "not", "hasExtension", "is"}
_ROOT_VARIABLES = {"resource", "rootResource"}


class _Generator:
    """Writes the source of `evaluate(root, focus=None)` for one parsed expression.

    `stream(node, focus, sink)` writes code that runs `sink`'s code once per item of `node`
    evaluated on `focus` (a Python variable and its static type). A construct whose body turns
    out empty (a type filter that no branch passes) removes itself, so no dead lookups remain.
    """

    def __init__(self, resource_type: str, context_type: str | None) -> None:
        self.model: TypeModel = r4_model()
        self.resource_type = resource_type
        self.context_type = context_type
        self.lines: list[str] = []
        self.result_types: list[str] = []
        self.depth = 1
        self.count = 0

    def function(self, node: Node) -> str:
        focus = ("focus", self.context_type) if self.context_type else ("root", self.resource_type)
        self.emit("out = []")
        self.stream(node, focus, self.output)
        self.emit("return out")
        return "def evaluate(root, focus=None):\n" + "\n".join(self.lines) + "\n"

    def output(self, value: str, static_type: str) -> None:
        self.result_types.append(static_type)
        self.emit(f"out.append(({value}, {static_type!r}))")

    # -- code writing ---------------------------------------------------------------------------

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def var(self) -> str:
        self.count += 1
        return f"v{self.count}"

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.emit(header)
        self.depth += 1
        yield
        self.depth -= 1

    def guarded(self, start: int, headers: list[str], body: Callable[[], None]) -> None:
        """Write `headers` (nested block openers) around `body`; if the body writes nothing,
        remove everything written since line `start` (its set-up statements included)."""
        for header in headers:
            self.emit(header)
            self.depth += 1
        body_start = len(self.lines)
        body()
        self.depth -= len(headers)
        if len(self.lines) == body_start:
            del self.lines[start:]

    @staticmethod
    def literal(value: Any) -> str:
        return f"Decimal({str(value)!r})" if isinstance(value, Decimal) else repr(value)

    # -- collections ----------------------------------------------------------------------------

    def stream(self, node: Node, focus: tuple[str, str], sink: Sink) -> None:
        match node:
            case Member(base=None, name=name):
                self.member(focus, name, sink)
            case Member(base=base, name=name) if base is not None:
                self.stream(base, focus, lambda v, t: self.member((v, t), name, sink))
            case Call(name=name) if name not in _BOOLEAN_FUNCTIONS:
                self.call(node, focus, sink)
            case Indexer(base=base, index=Literal(value=int() as index)) if index is not True:
                self.pick(base, focus, index, sink)
            case TypeOp(op="as", base=base, type_name=type_name):
                self.stream(base, focus, self.type_filter(type_name, sink))
            case Binary(op="|", left=left, right=right):
                self.stream(left, focus, sink)
                self.stream(right, focus, sink)
            case Literal(value=None):
                pass
            case Literal(value=value):
                sink(self.literal(value), _literal_type(value))
            case Unary(op="-", operand=Literal(value=int() | Decimal() as number)):
                sink(self.literal(-number), _literal_type(number))
            case Variable(name="$this"):
                sink(*focus)
            case Variable(name="context"):
                sink(
                    "focus" if self.context_type else "root",
                    self.context_type or self.resource_type,
                )
            case Variable(name=name) if name in _ROOT_VARIABLES:
                sink("root", self.resource_type)
            case Variable(name="ucum"):
                sink(repr("http://unitsofmeasure.org"), "string")
            case TypeOp(op="is") | Binary() | Call():
                self.boolean_item(node, focus, sink)
            case _:
                raise UnsupportedExpression(f"cannot compile {node!r}")

    def on_focus_or(self, base: Node | None, focus: tuple[str, str], sink: Sink) -> None:
        """Stream `base`, or the focus itself when a function is called without one."""
        if base is None:
            sink(*focus)
        else:
            self.stream(base, focus, sink)

    def member(self, focus: tuple[str, str], name: str, sink: Sink) -> None:
        value, static_type = focus
        if name[:1].isupper():  # a type name: `Observation.code` starts from an Observation
            self.resource_filter(focus, name, sink)
            return
        for key, child_type in self.model.children(static_type, name):
            start = len(self.lines)
            raw, item = self.var(), self.var()
            if static_type == UNKNOWN:
                self.emit(f"{raw} = {value}.get({key!r}) if {value}.__class__ is dict else None")
            else:
                self.emit(f"{raw} = {value}.get({key!r})")
            headers = [
                f"if {raw} is not None:",
                f"for {item} in ({raw} if {raw}.__class__ is list else ({raw},)):",
            ]
            self.guarded(start, headers, lambda i=item, c=child_type: sink(i, c))

    def resource_filter(self, focus: tuple[str, str], type_name: str, sink: Sink) -> None:
        value, static_type = focus
        if static_type == type_name:
            sink(value, static_type)
        elif static_type == UNKNOWN:
            test = f"if {value}.__class__ is dict and {value}.get('resourceType') == {type_name!r}:"
            self.guarded(len(self.lines), [test], lambda: sink(value, type_name))

    def type_filter(self, type_name: str, sink: Sink) -> Sink:
        wanted = fhir_type_name(type_name)

        def filtered(value: str, static_type: str) -> None:
            verdict = self.model.is_subtype(static_type, wanted)
            if verdict:
                sink(value, static_type)
            elif verdict is None:
                test = f"if value_is({value}, {wanted!r}):"
                self.guarded(len(self.lines), [test], lambda: sink(value, wanted))

        return filtered

    def call(self, node: Call, focus: tuple[str, str], sink: Sink) -> None:
        name, args, base = node.name, node.args, node.base
        if name == "where" and len(args) == 1:
            self.on_focus_or(base, focus, lambda v, t: self.where(args[0], (v, t), sink))
        elif name in ("ofType", "as") and len(args) == 1 and isinstance(args[0], TypeSpecifier):
            self.on_focus_or(base, focus, self.type_filter(args[0].name, sink))
        elif name == "extension" and _is_string_literal(args):
            url = args[0].value  # type: ignore[union-attr]
            self.on_focus_or(base, focus, lambda v, t: self.extension((v, t), url, sink))
        elif name == "select" and len(args) == 1:
            self.on_focus_or(base, focus, lambda v, t: self.stream(args[0], (v, t), sink))
        elif name == "resolve" and not args:
            self.on_focus_or(base, focus, lambda v, t: self.resolve(v, sink))
        elif name in ("first", "last", "single") and not args:
            self.pick(base, focus, -1 if name == "last" else 0, sink, single=name == "single")
        else:
            raise UnsupportedExpression(f"function {name}() with {len(args)} argument(s)")

    def where(self, criteria: Node, focus: tuple[str, str], sink: Sink) -> None:
        start = len(self.lines)
        condition = self.boolean(criteria, focus, in_where=True)
        self.guarded(start, [f"if {condition}:"], lambda: sink(*focus))

    def extension(self, focus: tuple[str, str], url: str, sink: Sink) -> None:
        value, static_type = focus
        if static_type in PRIMITIVE_TYPES:
            return
        start = len(self.lines)
        extensions, item = self.var(), self.var()
        guard = f" if {value}.__class__ is dict else None" if static_type == UNKNOWN else ""
        self.emit(f"{extensions} = {value}.get('extension'){guard}")
        headers = [f"if {extensions}:", f"for {item} in {extensions}:"]
        headers.append(f"if {item}.get('url') == {url!r}:")
        self.guarded(start, headers, lambda: sink(item, "Extension"))

    def resolve(self, value: str, sink: Sink) -> None:
        start = len(self.lines)
        stub = self.var()
        self.emit(f"{stub} = resolve_stub({value})")
        self.guarded(start, [f"if {stub} is not None:"], lambda: sink(stub, UNKNOWN))

    def pick(
        self,
        base: Node | None,
        focus: tuple[str, str],
        index: int,
        sink: Sink,
        single: bool = False,
    ) -> None:
        """`first()`, `last()`, `single()`, `[n]`: collect the items with their types, take one."""
        start = len(self.lines)
        items, types = self.var(), []
        self.emit(f"{items} = []")

        def collect(value: str, static_type: str) -> None:
            types.append(static_type)
            self.emit(f"{items}.append(({value}, {static_type!r}))")

        self.on_focus_or(base, focus, collect)
        if not types:
            del self.lines[start:]
            return
        enough = f"len({items}) == 1" if single else f"len({items}) > {max(index, -index - 1)}"
        value, kind = self.var(), self.var()
        with self.block(f"if {enough}:"):
            self.emit(f"{value}, {kind} = {items}[{index}]")
            self.dispatch(value, kind, sorted(set(types)), sink)

    def dispatch(self, value: str, kind: str, types: list[str], sink: Sink) -> None:
        if len(types) == 1:
            sink(value, types[0])
            return
        for static_type in types:
            with self.block(f"if {kind} == {static_type!r}:"):
                sink(value, static_type)

    def values(self, node: Node | None, focus: tuple[str, str]) -> str:
        """Write code collecting the values of `node` (the focus when None) into a list; return
        the Python expression for that list."""
        if node is None:
            return f"[{focus[0]}]"
        if isinstance(node, Literal):
            return "[]" if node.value is None else f"[{self.literal(node.value)}]"
        items = self.var()
        self.emit(f"{items} = []")
        self.stream(node, focus, lambda value, kind: self.emit(f"{items}.append({value})"))
        return items

    # -- booleans -------------------------------------------------------------------------------

    def boolean_item(self, node: Node, focus: tuple[str, str], sink: Sink) -> None:
        """A boolean-valued expression used as a collection: one boolean, or nothing."""
        start = len(self.lines)
        result = self.var()
        self.emit(f"{result} = {self.boolean(node, focus)}")
        self.guarded(start, [f"if {result} is not None:"], lambda: sink(result, "boolean"))

    def boolean(self, node: Node, focus: tuple[str, str], in_where: bool = False) -> str:
        """Write any set-up code; return a Python expression giving True, False or None."""
        match node:
            case Literal(value=bool() as flag):
                return repr(flag)
            case Binary(op=op, left=left, right=right) if op in _LOGICAL:
                return f"{_LOGICAL[op]}({self.boolean(left, focus)}, {self.boolean(right, focus)})"
            case Binary(
                op="=", left=Member(base=None, name=name), right=Literal(value=str() as text)
            ):
                return self.equals_text(focus, name, text) or self.equality(node, focus)
            case Binary(op=op) if op in _EQUALITY:
                return self.equality(node, focus)
            case TypeOp(op="is", base=Call(base=None, name="resolve", args=()), type_name=name):
                return f"reference_is({focus[0]}, {fhir_type_name(name)!r})"
            case TypeOp(op="is", base=base, type_name=name):
                return self.is_type(base, name, focus)
            case Call(name="is", base=base, args=(TypeSpecifier(name=name),)):
                return self.is_type(base, name, focus)
            case Call(name="exists", base=base, args=()):
                return f"bool({self.values(base, focus)})"
            case Call(name="exists", base=base, args=(criteria,)):
                return f"bool({self.values(Call(base, 'where', (criteria,)), focus)})"
            case Call(name="empty", base=base, args=()):
                return f"not {self.values(base, focus)}"
            case Call(name="not", base=base, args=()):
                inner = "True" if base is None else self.boolean(base, focus)
                return f"logical_not({inner})"
            case Call(name="hasExtension", base=base, args=args) if _is_string_literal(args):
                url = args[0].value  # type: ignore[union-attr]
                return f"has_extension({self.values(base, focus)}, {url!r})"
        if isinstance(node, Binary) or (isinstance(node, Call) and node.name in _BOOLEAN_FUNCTIONS):
            raise UnsupportedExpression(f"cannot compile {node!r}")
        reader = "where_truth" if in_where else "singleton_truth"
        return f"{reader}({self.values(node, focus)})"

    def equals_text(self, focus: tuple[str, str], name: str, text: str) -> str | None:
        """`system = 'email'` on one element: a direct comparison (a repeating element with one
        item equals too, as in FHIRPath)."""
        value, static_type = focus
        children = self.model.children(static_type, name)
        if static_type == UNKNOWN or len(children) != 1 or children[0][0] != name:
            return None
        found = self.var()
        self.emit(f"{found} = {value}.get({name!r})")
        return f"({found} == {text!r} or {found} == [{text!r}])"

    def equality(self, node: Binary, focus: tuple[str, str]) -> str:
        left, right = self.values(node.left, focus), self.values(node.right, focus)
        return f"{_EQUALITY[node.op]}({left}, {right})"

    def is_type(self, base: Node | None, type_name: str, focus: tuple[str, str]) -> str:
        wanted = fhir_type_name(type_name)
        verdicts = self.var()
        self.emit(f"{verdicts} = []")

        def check(value: str, static_type: str) -> None:
            verdict = self.model.is_subtype(static_type, wanted)
            test = repr(verdict) if verdict is not None else f"value_is({value}, {wanted!r})"
            self.emit(f"{verdicts}.append({test})")

        self.on_focus_or(base, focus, check)
        return f"singleton_truth({verdicts})"


def _is_string_literal(args: tuple[Node, ...]) -> bool:
    return len(args) == 1 and isinstance(args[0], Literal) and isinstance(args[0].value, str)


def _literal_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "decimal" if isinstance(value, Decimal) else "string"
