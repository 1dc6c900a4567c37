"""What the workspace screens share about FHIR: the code systems they write, reading a patient's
resources through the repository, and turning FHIR values into text."""
