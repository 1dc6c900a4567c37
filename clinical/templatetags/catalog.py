from django import template

from clinical.catalog.fields import catalog_options, typed_query

register = template.Library()


@register.simple_tag
def catalog_field_options(form, name: str) -> dict:
    return {"items": catalog_options(form, name), "typed": typed_query(form, name)}
