from datetime import date

from django.core.management.base import BaseCommand, CommandParser

from fhirapi.demo.loader import DEFAULT_SEED, demo_population_load


class Command(BaseCommand):
    help = (
        "Load the built-in demo population (seeded: the same seed and date give the same data; "
        "loading it again changes nothing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=25)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--as-of", type=date.fromisoformat, default=None, help="the story's today (ISO date)"
        )

    def handle(self, *args, patients: int, seed: int, as_of: date | None, **options) -> None:
        summary = demo_population_load(patients=patients, seed=seed, as_of=as_of)
        self.stdout.write(summary.line())
