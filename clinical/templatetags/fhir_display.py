"""Template filters over FHIR values (clinical/fhir/display.py)."""

from django import template

from clinical.fhir import display

register = template.Library()

register.filter("human_name", display.human_name)
register.filter("concept", display.concept_text)
register.filter("quantity", display.quantity_text)
register.filter("observation_value", display.observation_value)
register.filter("reference_range", display.reference_range_text)
register.filter("fhir_datetime", display.parse_datetime)
register.filter("clinical_time", display.clinical_time)
register.filter("mrn", display.medical_record_number)
register.filter("age", display.age_in_years)
