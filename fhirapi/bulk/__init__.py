"""Patient data in and out: `import_fhir` / `export_fhir`, Bulk Data `$export` and `$import`,
their jobs and files. Writes go through FhirRepository (validated, versioned, indexed); exports
stream the current versions straight from the resource table in keyset batches."""
