"""Search benchmark: server-side latency of three typical searches over a store grown by cloning
the Synthea bundles (fresh ids, Patient families varied) through the transaction (bulk) path.

Run: .venv/bin/python bench/bench_search.py [--resources 1000000] [--keep]
  --resources N  grow the store to at least N resources (default 1,000,000; 100,000 to try)
  --keep         reuse the store of an earlier run when it is at least that large
Targets on the 2-core reference machine: p50 <= 15 ms, p95 <= 50 ms, no Seq Scan on the big
tables. Prints load speed, p50/p95 per query and the node types of each query's plan.
"""

import argparse
import json
import random
import re
import statistics
import sys
import time
import uuid
from urllib.parse import parse_qsl

from _setup import SHARED_DATA, django_ready, empty_store, print_table

django_ready()

from django.db import connection  # noqa: E402

from fhirapi.search.engine import search_bundle  # noqa: E402
from fhirapi.search.indexing import ALL_TABLES  # noqa: E402
from fhirapi.search.query import parse_query  # noqa: E402
from fhirapi.search.registry import resource_types  # noqa: E402
from fhirapi.search.scope import Scope  # noqa: E402
from fhirapi.search.sorting import sort_columns  # noqa: E402
from fhirapi.search.statement import matching, page_statement  # noqa: E402
from fhirapi.services import FhirRepository  # noqa: E402
from fhirapi.store.models import ResourceRecord  # noqa: E402

BUNDLES = sorted((SHARED_DATA / "synthea" / "r4-bundles").glob("*_*-*.json"))
FAMILIES = ["Smith", "Smitham", "Smithers", "Jones", "Garcia", "Miller", "Davis", "Lopez"]
FAMILIES += ["Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee"]
FAMILIES += ["Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis"]
FAMILIES += ["Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres"]
BIG_TABLES = {ResourceRecord._meta.db_table, *ALL_TABLES}
UUID = re.compile(r"urn:uuid:([0-9a-f\-]{36})")
BASE = "http://bench/fhir"
QUERIES = {
    "Observation?patient=X&code=Y&_sort=-date&_count=10": (
        "Observation",
        "patient={patient}&code=http://loinc.org|{code}&_sort=-date&_count=10",
    ),
    "Condition?patient=X&clinical-status=active": (
        "Condition",
        "patient={patient}&clinical-status=active",
    ),
    "Patient?family=smi&birthdate=ge1950": ("Patient", "family=smi&birthdate=ge1950"),
    "Observation?patient=X&encounter.service-provider.name=a (2-level chain)": (
        "Observation",
        "patient={patient}&encounter.service-provider.name=a&_count=10",
    ),
    "Patient?_id=X&_revinclude=Condition:patient": (
        "Patient",
        "_id={patient_id}&_revinclude=Condition:patient",
    ),
}


def cloned(text: str, rng: random.Random) -> dict:
    """A copy of a bundle with fresh urn:uuid identities and a random Patient family."""
    fresh = {old: str(uuid.uuid4()) for old in set(UUID.findall(text))}
    bundle = json.loads(UUID.sub(lambda m: f"urn:uuid:{fresh[m.group(1)]}", text))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            for name in resource.get("name", []):
                name["family"] = rng.choice(FAMILIES)
    return bundle


def grow_store(target: int, keep: bool) -> tuple[int, float]:
    """Load clones until the store holds `target` resources; returns (loaded, seconds)."""
    existing = ResourceRecord.objects.count()
    if keep and existing >= target:
        return 0, 0.0
    empty_store()
    texts = [path.read_text() for path in BUNDLES]
    repository = FhirRepository(lenient_references=True)
    rng = random.Random(7)
    loaded, started = 0, time.perf_counter()
    while loaded < target:
        for text in texts:
            bundle = cloned(text, rng)
            repository.transaction(bundle, base_url=BASE)
            loaded += len(bundle["entry"])
        print(f"  loaded {loaded:,} resources, {loaded / (time.perf_counter() - started):,.0f}/s")
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return loaded, seconds


def sample_arguments(count: int) -> list[dict[str, str]]:
    """Random (patient, one of that patient's LOINC observation codes) pairs."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT resource_id FROM fhirapi_resourcerecord WHERE resource_type = 'Patient' "
            "AND NOT deleted ORDER BY random() LIMIT %s",
            [count],
        )
        patients = [row[0] for row in cursor.fetchall()]
        arguments = []
        for patient in patients:
            cursor.execute(
                "SELECT t.code FROM fhir_search_reference p JOIN fhir_search_token t "
                "ON t.record_id = p.record_id AND t.param = 'code' "
                "AND t.system = 'http://loinc.org' "
                "WHERE p.target_id = %s AND p.param = 'patient' "
                "AND p.resource_type = 'Observation' ORDER BY random() LIMIT 1",
                [patient],
            )
            found = cursor.fetchone()
            code = found[0] if found else "8302-2"
            arguments.append({"patient": patient, "patient_id": patient, "code": code})
    return arguments


def time_query(resource_type: str, template: str, arguments: list[dict]) -> list[float]:
    timings = []
    for values in arguments:
        params = parse_qsl(template.format(**values))
        started = time.perf_counter()
        search_bundle(resource_type, params, base_url=BASE)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def plan_nodes(resource_type: str, query: str) -> tuple[list[str], bool]:
    """The node types of the page statement's plan; True when a big table is scanned whole."""
    parsed = parse_query(resource_type, parse_qsl(query))
    scope = Scope(parsed.resource_types, (BASE,))
    statement = page_statement(
        matching(parsed, scope, ()), sort_columns(parsed.sort), limit=parsed.count + 1
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {statement.text}", statement.params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes: list[str] = []
    seq_scan = _walk(plan[0]["Plan"], nodes)
    return nodes, seq_scan


def _walk(node: dict, nodes: list[str]) -> bool:
    relation = node.get("Relation Name")
    label = node["Node Type"] + (f" {relation}" if relation else "")
    if node["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
        label = f"{node['Node Type']} {node.get('Index Name', '')}"
    nodes.append(label)
    seq = node["Node Type"] == "Seq Scan" and relation in BIG_TABLES
    for child in node.get("Plans", ()):
        seq = _walk(child, nodes) or seq
    return seq


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--runs", type=int, default=200)
    options = parser.parse_args()
    loaded, seconds = grow_store(options.resources, options.keep)
    total = ResourceRecord.objects.count()
    if loaded:
        print(f"\nloaded {loaded:,} resources in {seconds:,.0f} s ({loaded / seconds:,.0f}/s)")
    arguments = sample_arguments(options.runs)
    rows = []
    for label, (resource_type, template) in QUERIES.items():
        time_query(resource_type, template, arguments[:20])  # warm caches and compiled plans
        timings = time_query(resource_type, template, arguments)
        nodes, seq_scan = plan_nodes(resource_type, template.format(**arguments[0]))
        rows.append(
            [
                label,
                f"{statistics.median(timings):.1f}",
                f"{percentile(timings, 0.95):.1f}",
                "YES" if seq_scan else "no",
                ", ".join(dict.fromkeys(nodes)),
            ]
        )
    print_table(
        f"Search latency, in-process, {total:,} resources ({len(resource_types())} types known)",
        ["query", "p50 ms", "p95 ms", "seq scan", "plan nodes"],
        rows,
    )
    print(f"\nreproduce: {sys.executable} bench/bench_search.py --resources {options.resources}")


if __name__ == "__main__":
    main()
