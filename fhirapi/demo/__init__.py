"""A built-in, seeded demo population (no download needed): `make run` loads it into an empty
store (`setup_demo`), `manage.py load_demo --patients N` loads any size. It lives beside the store
rather than in clinical/ because it is FHIR content written through the import path
(fhirapi/bulk), used by every app's demo and tests alike."""
