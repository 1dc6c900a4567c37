"""Medications: active and past MedicationRequests; stopping one with a reason."""
