from django.core.management.base import BaseCommand

from cds.external import external_refresh_all
from cds.models import ExternalCdsService


class Command(BaseCommand):
    help = "Fetch the discovery documents of the enabled external CDS service providers."

    def handle(self, *args, **options) -> None:
        count = external_refresh_all()
        for provider in ExternalCdsService.objects.filter(enabled=True):
            state = provider.last_error or f"{len(provider.services)} service(s)"
            self.stdout.write(f"{provider.base_url}: {state}")
        self.stdout.write(f"refreshed {count} provider(s)")
