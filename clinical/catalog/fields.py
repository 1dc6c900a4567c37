"""A form field holding one catalog item, picked through the autocomplete."""

from django import forms

from clinical.catalog.catalog import CatalogItem, curated_items, item_from_token, matches


class CatalogField(forms.CharField):
    """Submits `system|code|display` (a radio of the autocomplete list); cleans to a
    CatalogItem. The template clinical/_catalog_field.html draws it."""

    def __init__(self, *, kind: str, **kwargs) -> None:
        self.kind = kind
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("required", "Search, then choose one from the list.")
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        item = item_from_token(self.kind, text) if len(text) <= 500 else None
        if item is None:
            raise forms.ValidationError("Choose one from the list.", code="invalid_choice")
        return item


def catalog_options(form: forms.Form, name: str) -> list[CatalogItem]:
    """What the field offers when the form is drawn: the picked item, or curated matches of what
    was typed in its search box (so the form works without JavaScript too)."""
    field = form.fields[name]
    assert isinstance(field, CatalogField)
    bound = form[name]
    picked = item_from_token(field.kind, str(bound.value() or ""))
    if picked is not None:
        return [picked]
    words = typed_query(form, name).lower().split()
    if not words:
        return []
    return [i for i in curated_items(field.kind) if matches(i, words)][:15]


def typed_query(form: forms.Form, name: str) -> str:
    if not form.is_bound:
        return ""
    return str(form.data.get(f"{form.add_prefix(name)}_q") or "")[:100]
