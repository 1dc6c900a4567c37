"""Loading the demo population through the bulk import path (FhirRepository.create_many)."""

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fhirapi.bulk import records
from fhirapi.bulk.importer import Importer
from fhirapi.demo.population import demo_population

DEFAULT_SEED = 1


class DemoLoadFailed(Exception):
    """Some demo resources were refused: a bug in the generator."""


@dataclass
class DemoSummary:
    patients: int
    seconds: float = 0.0
    counts: Counter = field(default_factory=Counter)  # resource type -> resources

    @property
    def resources(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        top = ", ".join(f"{count:,} {kind}" for kind, count in self.counts.most_common(4))
        return (
            f"Demo population: {self.patients} patients, {self.resources:,} resources ({top}, ...) "
            f"loaded in {self.seconds:.1f} s"
        )


def demo_population_load(
    *, patients: int, seed: int = DEFAULT_SEED, as_of: date | None = None
) -> DemoSummary:
    """Write the population (idempotent: loading it again changes nothing)."""
    summary = DemoSummary(patients)
    started = time.monotonic()
    resources = demo_population(patients=patients, seed=seed, as_of=as_of or date.today())
    result = Importer().import_resources(_counted(resources, summary.counts), "demo population")
    if result.errors or result.failure:
        raise DemoLoadFailed(f"{result.status}; {'; '.join(result.messages)}")
    summary.seconds = time.monotonic() - started
    return summary


def demo_population_ensure(*, patients: int) -> DemoSummary | None:
    """Load the population into an empty store; a store holding anything is left alone."""
    if patients <= 0 or not records.store_is_empty():
        return None
    return demo_population_load(patients=patients)


def _counted(resources: Iterator[dict[str, Any]], counts: Counter) -> Iterator[dict[str, Any]]:
    for resource in resources:
        counts[resource["resourceType"]] += 1
        yield resource
