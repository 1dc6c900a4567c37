from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from clinical.demo import demo_username, demo_users_ensure
from clinical.roles import ADMIN
from fhirapi.demo.loader import demo_population_ensure
from imaging.services.demo import demo_images_ensure
from imaging.services.ingest import Status


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
        if settings.WINTEHR_DEMO_PATIENTS > 0:
            self.demo_images()

    def demo_images(self) -> None:
        """The DICOM files behind the demo ImagingStudy resources, stored by the demo admin."""
        admin = get_user_model().objects.get(username=demo_username(ADMIN.name))
        report = demo_images_ensure(acting_user=admin)
        for problem in report.problems:
            self.stderr.write(f"Demo images: {problem}")
        stored = report.count(Status.STORED)
        if stored:
            self.stdout.write(f"Demo images: {stored} DICOM file(s) stored for the demo studies\n")
