from fhirapi.search.models import (
    CompartmentIndex,
    DateIndex,
    NumberIndex,
    QuantityIndex,
    ReferenceIndex,
    StringIndex,
    TextIndex,
    TokenIndex,
    UriIndex,
)
from fhirapi.store.models import ResourceRecord, ResourceVersion

__all__ = [
    "CompartmentIndex",
    "DateIndex",
    "NumberIndex",
    "QuantityIndex",
    "ReferenceIndex",
    "ResourceRecord",
    "ResourceVersion",
    "StringIndex",
    "TextIndex",
    "TokenIndex",
    "UriIndex",
]
