"""A parser for the FHIRPath used by search parameters, producing a small AST.

It reads the whole FHIRPath expression grammar (operators with the spec's precedence, functions,
indexers, type specifiers, literals, `%variables`, `$this`); what the compiler can turn into Python
is decided later, in `fhirpath_compile`. `to_fhirpathpy_text` prints an AST back as text that
fhirpathpy evaluates with the same meaning our compiler gives it (see its docstring).
"""

import re
from dataclasses import dataclass
from decimal import Decimal


class FhirPathSyntaxError(ValueError):
    """The expression is not valid FHIRPath."""


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | bool | Decimal | int | None  # None is the empty collection `{}`


@dataclass(frozen=True, slots=True)
class Variable:
    name: str  # `%resource` -> "resource", `$this` -> "$this"


@dataclass(frozen=True, slots=True)
class Member:
    base: "Node | None"  # None: a member of the current focus
    name: str


@dataclass(frozen=True, slots=True)
class Call:
    base: "Node | None"  # None: called on the current focus
    name: str
    args: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Indexer:
    base: "Node"
    index: "Node"


@dataclass(frozen=True, slots=True)
class TypeOp:
    op: str  # "is" or "as"
    base: "Node"
    type_name: str


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: "Node"
    right: "Node"


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: "Node"


@dataclass(frozen=True, slots=True)
class TypeSpecifier:
    """A type name given as a function argument: `ofType(Quantity)`, `as(FHIR.Period)`."""

    name: str


Node = Literal | Variable | Member | Call | Indexer | TypeOp | Binary | Unary | TypeSpecifier

# Binding power of each infix operator (higher binds tighter), from the FHIRPath precedence table.
_INFIX_POWER = {
    "implies": 1,
    "or": 2,
    "xor": 2,
    "and": 3,
    "in": 4,
    "contains": 4,
    "=": 5,
    "~": 5,
    "!=": 5,
    "!~": 5,
    "<=": 6,
    "<": 6,
    ">": 6,
    ">=": 6,
    "|": 7,
    "is": 8,
    "as": 8,
    "+": 9,
    "-": 9,
    "&": 9,
    "*": 10,
    "/": 10,
    "div": 10,
    "mod": 10,
}
_UNARY_POWER = 11
_KEYWORD_OPERATORS = {"implies", "or", "xor", "and", "in", "contains", "is", "as", "div", "mod"}
_TYPE_FUNCTIONS = {"ofType", "is", "as"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<delimited>`(?:[^`\\]|\\.)*`)
    | (?P<datetime>@[0-9T:.+\-Z]*)
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<variable>[%$](?:[A-Za-z_][A-Za-z0-9_]*|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`))
    | (?P<identifier>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<symbol><=|>=|!=|!~|[.()\[\],|=~<>+\-*/&{}])
    )""",
    re.VERBOSE,
)
_ESCAPES = {"'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/", "f": "\f", "n": "\n", "r": "\r"}
_ESCAPES["t"] = "\t"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # string, delimited, datetime, number, variable, identifier, symbol, end
    text: str


def _unescape(body: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        code = body[index + 1 : index + 2]
        if code == "u":
            out.append(chr(int(body[index + 2 : index + 6], 16)))
            index += 6
        else:
            out.append(_ESCAPES.get(code, code))
            index += 2
    return "".join(out)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise FhirPathSyntaxError(f"unexpected character at {position} in {text!r}")
        kind = match.lastgroup or "symbol"
        tokens.append(_Token(kind, match.group(kind)))
        position = match.end()
    tokens.append(_Token("end", ""))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.position = 0

    def peek(self) -> _Token:
        return self.tokens[self.position]

    def advance(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expect(self, symbol: str) -> None:
        token = self.advance()
        if token.text != symbol or token.kind not in ("symbol", "identifier"):
            raise FhirPathSyntaxError(f"expected {symbol!r}, got {token.text!r} in {self.text!r}")

    def parse(self) -> Node:
        node = self.expression(0)
        if self.peek().kind != "end":
            raise FhirPathSyntaxError(f"unexpected {self.peek().text!r} in {self.text!r}")
        return node

    def expression(self, min_power: int) -> Node:
        left = self.postfix(self.prefix())
        while True:
            token = self.peek()
            operator = token.text
            is_operator = token.kind == "symbol" or operator in _KEYWORD_OPERATORS
            power = _INFIX_POWER.get(operator, 0) if is_operator else 0
            if power <= min_power:
                return left
            self.advance()
            if operator in ("is", "as"):
                left = TypeOp(operator, left, self.type_name())
            else:
                left = Binary(operator, left, self.expression(power))

    def prefix(self) -> Node:
        token = self.advance()
        if token.kind == "symbol" and token.text in ("+", "-"):
            return Unary(token.text, self.postfix(self.expression(_UNARY_POWER)))
        if token.kind == "symbol" and token.text == "(":
            inner = self.expression(0)
            self.expect(")")
            return inner
        if token.kind == "symbol" and token.text == "{":
            self.expect("}")
            return Literal(None)
        return self.term(token)

    def term(self, token: _Token) -> Node:
        if token.kind == "string":
            return Literal(_unescape(token.text[1:-1]))
        if token.kind == "number":
            return Literal(Decimal(token.text) if "." in token.text else int(token.text))
        if token.kind == "variable":
            return Variable(self.variable_name(token.text))
        if token.kind == "datetime":
            raise FhirPathSyntaxError(f"date/time literals are not supported: {token.text!r}")
        if token.kind == "identifier" and token.text in ("true", "false"):
            return Literal(token.text == "true")
        if token.kind in ("identifier", "delimited"):
            return self.invocation(None, token)
        raise FhirPathSyntaxError(f"unexpected {token.text!r} in {self.text!r}")

    @staticmethod
    def variable_name(text: str) -> str:
        if text.startswith("$"):
            return text
        name = text[1:]
        return _unescape(name[1:-1]) if name[:1] in ("'", "`") else name

    def postfix(self, node: Node) -> Node:
        while True:
            token = self.peek()
            if token.kind == "symbol" and token.text == ".":
                self.advance()
                name_token = self.advance()
                if name_token.kind == "variable" and name_token.text == "$this":
                    node = Variable("$this")
                    continue
                if name_token.kind not in ("identifier", "delimited"):
                    raise FhirPathSyntaxError(f"expected a name after '.' in {self.text!r}")
                node = self.invocation(node, name_token)
            elif token.kind == "symbol" and token.text == "[":
                self.advance()
                index = self.expression(0)
                self.expect("]")
                node = Indexer(node, index)
            else:
                return node

    def invocation(self, base: Node | None, token: _Token) -> Node:
        name = _unescape(token.text[1:-1]) if token.kind == "delimited" else token.text
        if not (self.peek().kind == "symbol" and self.peek().text == "("):
            return Member(base, name)
        self.advance()
        args: list[Node] = []
        while not (self.peek().kind == "symbol" and self.peek().text == ")"):
            if name in _TYPE_FUNCTIONS:
                args.append(TypeSpecifier(self.type_name()))
            else:
                args.append(self.expression(0))
            if self.peek().text == ",":
                self.advance()
        self.expect(")")
        return Call(base, name, tuple(args))

    def type_name(self) -> str:
        parts = [self.advance().text.strip("`")]
        while self.peek().text == "." and self.tokens[self.position + 1].kind == "identifier":
            self.advance()
            parts.append(self.advance().text)
        return ".".join(parts)


def parse(text: str) -> Node:
    """Parse a FHIRPath expression; raise FhirPathSyntaxError when it is not valid."""
    return _Parser(text).parse()


# FHIRPath's System types that search parameters use where they mean the FHIR primitive
# (`value.as(DateTime)` in Observation-code-value-date means valueDateTime).
SYSTEM_TO_FHIR_TYPE = {
    "Boolean": "boolean",
    "String": "string",
    "Integer": "integer",
    "Decimal": "decimal",
    "Date": "date",
    "DateTime": "dateTime",
    "Time": "time",
}


def fhir_type_name(type_name: str) -> str:
    """`FHIR.Patient` -> `Patient`, `System.DateTime` / `DateTime` -> `dateTime`."""
    name = type_name.rsplit(".", 1)[-1]
    return SYSTEM_TO_FHIR_TYPE.get(name, name)


def to_fhirpathpy_text(node: Node) -> str:
    """Print `node` as FHIRPath that fhirpathpy evaluates the way our compiler does.

    Two spellings change, the meaning search parameters intend being kept: `x as T` and `x.as(T)`
    become `x.ofType(T)` (fhirpathpy raises on `as` over more than one item, while search
    expressions such as `(Observation.component.value as Quantity)` use it as a type filter), and
    System type names become the FHIR primitive names (`DateTime` -> `dateTime`).
    """
    return _Printer().text(node)


class _Printer:
    def text(self, node: Node) -> str:
        match node:
            case Literal(value=None):
                return "{}"
            case Literal(value=bool() as flag):
                return "true" if flag else "false"
            case Literal(value=str() as string):
                escaped = string.replace("\\", "\\\\").replace("'", "\\'")
                return f"'{escaped}'"
            case Literal(value=value):
                return str(value)
            case Variable(name=name):
                return name if name.startswith("$") else f"%{name}"
            case Member(base=None, name=name):
                return _name(name)
            case Member(base=base, name=name):
                return f"{self.operand(base)}.{_name(name)}"
            case Call():
                return self.call(node)
            case Indexer(base=base, index=index):
                return f"{self.operand(base)}[{self.text(index)}]"
            case TypeOp(op="as", base=base, type_name=type_name):
                return f"{self.operand(base)}.ofType({fhir_type_name(type_name)})"
            case TypeOp(op=op, base=base, type_name=type_name):
                return f"({self.text(base)} {op} {fhir_type_name(type_name)})"
            case Binary(op=op, left=left, right=right):
                return f"({self.text(left)} {op} {self.text(right)})"
            case Unary(op=op, operand=operand):
                return f"{op}{self.operand(operand)}"
            case TypeSpecifier(name=name):
                return fhir_type_name(name)
        raise TypeError(f"not a FHIRPath node: {node!r}")

    def call(self, node: Call) -> str:
        name = "ofType" if node.name == "as" else node.name
        args = ", ".join(self.text(arg) for arg in node.args)
        invocation = f"{name}({args})"
        return invocation if node.base is None else f"{self.operand(node.base)}.{invocation}"

    def operand(self, node: Node) -> str:
        text = self.text(node)
        simple = isinstance(node, Member | Call | Indexer | Variable | Literal)
        return text if simple or text.startswith("(") else f"({text})"


def _name(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else f"`{name}`"
