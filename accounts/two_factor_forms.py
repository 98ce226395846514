"""Forms of the two-factor pages: each asks for one code."""

from django import forms

CODE_HELP = "The six digits your authenticator app shows now."


class AuthenticatorCodeForm(forms.Form):
    """The code that confirms an authenticator app was set up."""

    code = forms.CharField(
        label="Code from the app",
        max_length=12,
        help_text=CODE_HELP,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class SecondFactorForm(forms.Form):
    """A code from the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label="Code",
        max_length=24,
        help_text="The six digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )
