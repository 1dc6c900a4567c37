from django import forms
from oauth2_provider.forms import AllowForm


class SmartAllowForm(AllowForm):
    """The consent form, carrying SMART's authorization parameters to the approval."""

    aud = forms.CharField(required=False, widget=forms.HiddenInput())
    launch = forms.CharField(required=False, widget=forms.HiddenInput())
    patient = forms.CharField(required=False, widget=forms.HiddenInput())


SMART_FIELDS = ("aud", "launch", "patient")
