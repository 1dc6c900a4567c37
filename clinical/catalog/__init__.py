"""The clinical catalog: coded things a clinician picks (medications, lab tests, problems,
procedures, imaging, allergens) from a curated starter set (data/*.json) and from the codes
already in the store; the autocomplete every coded field uses."""
