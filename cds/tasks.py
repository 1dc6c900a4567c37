from celery import shared_task

from cds.external import external_refresh_all


@shared_task(time_limit=300)
def refresh_external_services() -> int:
    """Re-fetch the discovery documents of the enabled external CDS providers."""
    return external_refresh_all()
