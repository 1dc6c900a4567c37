"""The search the builder describes, read from the page's GET parameters, and the FHIR request URL
it stands for. Rows of the builder send `param`, `modifier`, `prefix` and `value` once each, so
the four lists line up."""

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.http import QueryDict

from fhirapi.store.resource_types import is_resource_type

MAX_CRITERIA = 30
MAX_RAW_QUERY = 2000


@dataclass(frozen=True)
class Criterion:
    name: str
    modifier: str = ""
    prefix: str = ""
    value: str = ""

    def pair(self) -> tuple[str, str]:
        key = f"{self.name}:{self.modifier}" if self.modifier else self.name
        return key, f"{self.prefix}{self.value}"


@dataclass(frozen=True)
class ExplorerQuery:
    resource_type: str
    criteria: tuple[Criterion, ...] = ()
    includes: tuple[str, ...] = ()
    revincludes: tuple[str, ...] = ()
    sort: str = ""
    descending: bool = False
    count: int | None = None
    raw: str = ""  # a query string typed by hand, or a next-page link's

    def pairs(self) -> list[tuple[str, str]]:
        pairs = [criterion.pair() for criterion in self.criteria]
        pairs += [("_include", value) for value in self.includes]
        pairs += [("_revinclude", value) for value in self.revincludes]
        if self.sort:
            pairs.append(("_sort", f"-{self.sort}" if self.descending else self.sort))
        if self.count is not None:
            pairs.append(("_count", str(self.count)))
        return pairs + parse_qsl(self.raw, keep_blank_values=True)

    @property
    def query_string(self) -> str:
        return urlencode(self.pairs(), safe=":,/|$")

    @property
    def url(self) -> str:
        query = self.query_string
        return f"{settings.FHIR_BASE_URL}/{self.resource_type}" + (f"?{query}" if query else "")


def query_from(data: QueryDict) -> ExplorerQuery | None:
    """The query in the page's parameters; None without a known resource type."""
    resource_type = data.get("type", "")
    if not is_resource_type(resource_type):
        return None
    return ExplorerQuery(
        resource_type=resource_type,
        criteria=tuple(criteria_from(data)[:MAX_CRITERIA]),
        includes=tuple(v for v in data.getlist("include") if v),
        revincludes=tuple(v for v in data.getlist("revinclude") if v),
        sort=data.get("sort", ""),
        descending=data.get("order") == "desc",
        count=_count(data.get("count", "")),
        raw=data.get("q", "")[:MAX_RAW_QUERY].lstrip("?"),
    )


def criteria_from(data: QueryDict) -> list[Criterion]:
    rows = zip(
        data.getlist("param"),
        data.getlist("modifier"),
        data.getlist("prefix"),
        data.getlist("value"),
        strict=False,
    )
    return [
        Criterion(name, modifier, prefix, value.strip())
        for name, modifier, prefix, value in rows
        if name and (value.strip() or modifier == "missing")
    ]


def _count(raw: str) -> int | None:
    if not raw.strip().isdigit():
        return None
    return max(1, min(int(raw), settings.FHIR_MAX_COUNT))
