from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinical.demo import demo_users_ensure
from fhirapi.demo.loader import demo_population_ensure


class Command(BaseCommand):
    help = "Create the role groups and one demo user per role, and print their logins (DEBUG only)."

    def handle(self, *args, **options) -> None:
        try:
            logins = demo_users_ensure()
        except PermissionError as exc:
            raise CommandError(str(exc)) from None
        port = settings.PORT
        self.stdout.write(f"\nWintEHR is starting on http://127.0.0.1:{port}/  (demo logins)\n")
        self.stdout.write(f"  {'username':<20} {'password':<28} role")
        for login in logins:
            self.stdout.write(f"  {login.username:<20} {login.password:<28} {login.role}")
        self.stdout.write("")
        population = demo_population_ensure(patients=settings.WINTEHR_DEMO_PATIENTS)
        if population is not None:
            self.stdout.write(population.line() + "\n")
