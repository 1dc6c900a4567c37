"""The FHIR explorer (/explorer/): a search builder over the CapabilityStatement, results as a
table and raw JSON, resources with clickable references, and history with differences between
versions. Everything runs through FhirRepository with the user's actor and is audited."""
