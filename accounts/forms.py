"""Forms of the account pages (API tokens)."""

from django import forms

from accounts import tokens


class TokenForm(forms.Form):
    """A new API token: what it is for, how long it lives, whether it may only read."""

    name = forms.CharField(
        max_length=100,
        label="Name",
        help_text="What the token is for, e.g. “Nightly export script”.",
    )
    days = forms.TypedChoiceField(
        coerce=int,
        label="Expires after",
        initial=tokens.DEFAULT_LIFETIME_DAYS,
    )
    read_only = forms.BooleanField(
        required=False,
        initial=True,
        label="Read only",
        help_text="The token may read but not change anything (GET requests only).",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["days"].choices = tokens.lifetime_choices()  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        if "\x00" in name:
            raise forms.ValidationError("The name may not contain a NUL character.")
        return name
