"""Medication knowledge for decision support: RxNorm ingredients, therapeutic classes,
interactions, allergy classes and renal dosing, each from a small curated table in cds/data/."""
