from django import forms


class OverrideForm(forms.Form):
    card = forms.CharField(max_length=100)
    reason = forms.CharField(label="Reason", required=False, max_length=200)
    comment = forms.CharField(label="Comment", required=False, max_length=500)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("reason") and not (data.get("comment") or "").strip():
            raise forms.ValidationError("Give a reason (or a comment) for overriding this card.")
        return data


def reason_coding(card, code: str) -> dict | None:
    """The card's own override reason with this code (what feedback must send back)."""
    return next((r for r in card.override_reasons if r.get("code") == code), None)
