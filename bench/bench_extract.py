"""Search-index extraction speed over whole Synthea bundles, per resource type.

    .venv/bin/python bench/bench_extract.py [BUNDLE.json ...] [--rounds N] [--fhirpathpy]

Without bundles it uses tests/fixtures/search/Hershel_Marvin_*.json. References are rewritten
from `urn:uuid:` to `Type/id` first, as the store does before indexing. The last line times the
whole bundle in its own order (caches warm). --fhirpathpy adds the time fhirpathpy alone takes to
evaluate the same expressions (no rows made), for comparison. Also prints how many base
parameter expressions fall back to fhirpathpy.
"""

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from fhirapi.search import registry  # noqa: E402
from fhirapi.search.extract import extract_index_values  # noqa: E402
from fhirapi.search.fhirpath_compile import compile_expression  # noqa: E402

DEFAULT_BUNDLE = next((REPO_ROOT / "tests/fixtures/search").glob("Hershel_Marvin_*.json"))
Resource = dict[str, Any]


def bundle_resources(path: Path) -> list[Resource]:
    text = path.read_text(encoding="utf-8")
    for entry in json.loads(text)["entry"]:
        resource = entry["resource"]
        local = f"{resource['resourceType']}/{resource['id']}"
        text = text.replace(f'"{entry["fullUrl"]}"', f'"{local}"')
    return [entry["resource"] for entry in json.loads(text)["entry"]]


def seconds_per_resource(run: Callable[[Resource], Any], resources: list[Resource], rounds: int):
    for resource in resources:  # warm: plans, compiled accessors, caches
        run(resource)
    start = time.perf_counter()
    for _ in range(rounds):
        for resource in resources:
            run(resource)
    return (time.perf_counter() - start) / (rounds * len(resources))


def fhirpathpy_evaluation() -> Callable[[Resource], Any]:
    import fhirpathpy
    from fhirpathpy.models import models

    from fhirapi.search.fhirpath_fallback import OPTIONS, fhirpathpy_text

    compiled: dict[str, Any] = {}
    options = {"userInvocationTable": OPTIONS["userInvocationTable"]}

    def evaluate_all(resource: Resource) -> None:
        for param in registry.parameters_for(resource["resourceType"]).values():
            if param.expression and param.expression not in compiled:
                text = fhirpathpy_text(param.expression)
                compiled[param.expression] = fhirpathpy.compile(text, models["r4"], options)
            if param.expression:
                compiled[param.expression](resource)

    return evaluate_all


def fallback_count() -> tuple[int, int]:
    """(base definitions whose expression or a component falls back, definitions with one)"""
    with_expression, falling_back = set(), set()
    for param in registry.all_parameters():
        if param.custom or param.expression is None:
            continue
        with_expression.add(param.url)
        compiled = compile_expression(param.expression, param.resource_type)
        parts = [
            compile_expression(component.expression, param.resource_type, element_type)
            for component in param.components
            for element_type in compiled.result_types
        ]
        if not all(part.compiled for part in [compiled, *parts]):
            falling_back.add(param.url)
    return len(falling_back), len(with_expression)


def row(name: str, count: int, rows: float, seconds: float, reference: float | None) -> str:
    line = f"{name:<24} {count:>6} {rows:>9.1f} {seconds * 1e6:>9.1f} {1 / seconds:>10,.0f}"
    if reference is not None:
        line += f" {reference * 1e6:>14.1f}"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundles", nargs="*", type=Path, default=[DEFAULT_BUNDLE])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--fhirpathpy", action="store_true", help="also time fhirpathpy alone")
    args = parser.parse_args()
    resources = [r for path in args.bundles for r in bundle_resources(path)]
    grouped: dict[str, list[Resource]] = defaultdict(list)
    for resource in resources:
        grouped[resource["resourceType"]].append(resource)
    reference = fhirpathpy_evaluation() if args.fhirpathpy else None
    header = f"{'resource type':<24} {'count':>6} {'rows/res':>9} {'us/res':>9} {'res/s':>10}"
    print(header + (f" {'fhirpathpy us':>14}" if reference else ""))
    for resource_type, group in sorted(grouped.items(), key=lambda item: -len(item[1])):
        seconds = seconds_per_resource(extract_index_values, group, args.rounds)
        baseline = seconds_per_resource(reference, group, 1) if reference else None
        print(row(resource_type, len(group), rows_per_resource(group), seconds, baseline))
    seconds = seconds_per_resource(extract_index_values, resources, args.rounds)
    print(row("whole bundle(s)", len(resources), rows_per_resource(resources), seconds, None))
    falling_back, total = fallback_count()
    print(f"\nbase parameters left to fhirpathpy: {falling_back} of {total} with an expression")
    print(f"{' '.join(['.venv/bin/python', *sys.argv])}")


def rows_per_resource(resources: list[Resource]) -> float:
    total = 0
    for resource in resources:
        values = extract_index_values(resource)
        total += sum(len(getattr(values, name)) for name in ROW_LISTS)
    return total / len(resources)


ROW_LISTS = ("strings", "tokens", "dates", "numbers", "quantities", "references", "uris")
ROW_LISTS += ("composites",)


if __name__ == "__main__":
    main()
