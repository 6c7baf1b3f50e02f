"""Forms of the access-control pages: case search and the two-factor steps."""

from django import forms


class CaseSearchForm(forms.Form):
    q = forms.CharField(
        label="Search by reference or title", required=False, max_length=100, strip=True
    )


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=16,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
    )
