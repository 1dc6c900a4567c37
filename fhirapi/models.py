from fhirapi.store.models import ResourceRecord, ResourceVersion

__all__ = ["ResourceRecord", "ResourceVersion"]
