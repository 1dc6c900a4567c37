"""Allergies and intolerances: add, edit, entered-in-error, "no known allergies"."""
