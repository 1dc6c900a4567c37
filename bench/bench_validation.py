"""Validation speed per resource type over Synthea bundles.

    .venv/bin/python bench/bench_validation.py [BUNDLE.json ...] [--rounds N] [--r4b]

Without bundles it uses the Synthea bundle in tests/fixtures/validation. Each entry's
`urn:uuid:` references are first rewritten to `Type/id`, as a transaction does before it
validates, so that reference target types are checked. --r4b adds, for comparison, the time of
fhir.resources' R4B pydantic models (model_validate) on the same input.
"""

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from fhirapi.store.validation import validate_resource  # noqa: E402

DEFAULT_BUNDLE = (
    REPO_ROOT / "tests/fixtures/validation/Hershel_Marvin_71a7f9d4-45b7-481b-b571-7ee0caca6e2a.json"
)
Resource = dict[str, Any]
URN_UUID = re.compile(r'"(urn:uuid:[0-9a-f-]{36})"')


def resources_by_type(paths: list[Path]) -> dict[str, list[Resource]]:
    grouped: dict[str, list[Resource]] = defaultdict(list)
    for path in paths:
        bundle = with_local_references(path.read_text(encoding="utf-8"))
        for entry in bundle["entry"]:
            grouped[entry["resource"]["resourceType"]].append(entry["resource"])
    return dict(sorted(grouped.items(), key=lambda item: -len(item[1])))


def with_local_references(bundle_text: str) -> Resource:
    """The bundle with each reference to an entry's urn:uuid fullUrl rewritten to `Type/id`."""
    local = {
        entry["fullUrl"]: f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
        for entry in json.loads(bundle_text)["entry"]
    }
    rewritten = URN_UUID.sub(lambda match: f'"{local.get(match[1], match[1])}"', bundle_text)
    return json.loads(rewritten)


def seconds_per_resource(
    validate: Callable[[Resource], Any], resources: list[Resource], rounds: int
) -> float:
    for resource in resources:  # warm caches
        validate(resource)
    start = time.perf_counter()
    for _ in range(rounds):
        for resource in resources:
            validate(resource)
    return (time.perf_counter() - start) / (rounds * len(resources))


def r4b_validator() -> Callable[[Resource], Any]:
    from fhir.resources.R4B import get_fhir_model_class

    return lambda resource: get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def row(name: str, count: int, seconds: float, r4b_seconds: float | None) -> str:
    line = f"{name:<28} {count:>7} {seconds * 1e6:>9.1f} {1 / seconds:>12,.0f}"
    if r4b_seconds is not None:
        line += f" {1 / r4b_seconds:>12,.0f}"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundles", nargs="*", type=Path, default=[DEFAULT_BUNDLE])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--r4b", action="store_true", help="also time fhir.resources R4B models")
    args = parser.parse_args()
    grouped = resources_by_type(args.bundles)
    r4b = r4b_validator() if args.r4b else None
    header = f"{'resource type':<28} {'count':>7} {'us/res':>9} {'res/s':>12}"
    print(header + (f" {'R4B res/s':>12}" if r4b else ""))
    total_count, total_seconds, total_r4b = 0, 0.0, 0.0
    for resource_type, resources in grouped.items():
        seconds = seconds_per_resource(validate_resource, resources, args.rounds)
        r4b_seconds = seconds_per_resource(r4b, resources, args.rounds) if r4b else None
        print(row(resource_type, len(resources), seconds, r4b_seconds))
        total_count += len(resources)
        total_seconds += seconds * len(resources)
        total_r4b += (r4b_seconds or 0.0) * len(resources)
    average_r4b = total_r4b / total_count if r4b else None
    print(row("all (weighted)", total_count, total_seconds / total_count, average_r4b))
    print(f"\n{' '.join(['.venv/bin/python', *sys.argv])}")


if __name__ == "__main__":
    main()
