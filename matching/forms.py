"""The brief form: a sponsor's needs in five fieldsets, checked by the rules the API uses too; the
run form; the invitation form and the account form of an invitation's accept page."""

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm, UsernameField
from django.contrib.auth.password_validation import password_validators_help_texts
from django_countries import countries

from matching.choices import DEFAULT_WEIGHT, MAX_WEIGHT, MIN_WEIGHT, Criterion, Role
from matching.engine.criteria import TERM_SETS, BriefCriteria, brief_criteria
from matching.models import Brief, Invitation, RunMethod
from matching.validation import brief_errors
from partners.choices import MARKET_AUTHORITY, CertificationKind, Region, TermKind
from partners.models import Term

MARKET_CHOICES = [
    (code, code if code == authority.value else f"{code}: {authority.label}")
    for code, authority in MARKET_AUTHORITY.items()
]


def _weight_field_name(criterion: str) -> str:
    return f"weight_{criterion}"


def _relabel_blank(field: forms.Field, label: str) -> None:
    """Label the blank choice, the first, of a choice field built from a model field."""
    choice_field = cast(forms.ChoiceField, field)
    # A model field's choices reach its form field as a list of (value, label) pairs.
    choices = cast(list[tuple[str, str]], choice_field.choices)
    choice_field.choices = [("", label), *choices[1:]]


class BriefForm(forms.ModelForm):
    """Create or edit a brief. Weights are ten number inputs, gathered into `Brief.weights`."""

    target_markets = forms.MultipleChoiceField(
        choices=MARKET_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Where the product will be sold; the site's standing with each authority counts.",
    )
    required_certifications = forms.MultipleChoiceField(
        choices=CertificationKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    preferred_regions = forms.MultipleChoiceField(
        choices=Region.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    preferred_countries = forms.MultipleChoiceField(
        choices=list(countries),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Hold Ctrl (⌘ on a Mac) to choose several.",
    )
    excluded_countries = forms.MultipleChoiceField(
        choices=list(countries),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Sites in these countries are never proposed.",
    )
    must_haves = forms.MultipleChoiceField(
        label="Must-haves",
        choices=Criterion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A site that fails a must-have is excluded, with the reason.",
    )

    fieldset_layout = [
        (
            "What",
            ["title", "modality", "dosage_forms", "services", "technologies", "development_needed"],
        ),
        ("Scale and phase", ["phase", "batch_size", "batch_unit"]),
        (
            "Markets and quality",
            ["target_markets", "required_certifications", "max_oel_ug_m3", "dea_schedule"],
        ),
        ("Where", ["preferred_regions", "preferred_countries", "excluded_countries"]),
        (
            "Weights and must-haves",
            [_weight_field_name(c) for c in Criterion.values] + ["must_haves"],
        ),
    ]

    class Meta:
        model = Brief
        fields = [
            "title",
            "modality",
            "dosage_forms",
            "services",
            "technologies",
            "development_needed",
            "phase",
            "batch_size",
            "batch_unit",
            "target_markets",
            "required_certifications",
            "max_oel_ug_m3",
            "dea_schedule",
            "preferred_regions",
            "preferred_countries",
            "excluded_countries",
            "must_haves",
        ]
        widgets = {
            "dosage_forms": forms.CheckboxSelectMultiple,
            "services": forms.CheckboxSelectMultiple,
            "technologies": forms.CheckboxSelectMultiple,
            "batch_size": forms.NumberInput(attrs={"min": "0", "step": "any"}),
            "max_oel_ug_m3": forms.NumberInput(attrs={"min": "0", "step": "any"}),
        }
        labels = {
            "max_oel_ug_m3": "OEL to contain (µg/m³)",
            "development_needed": "Development needed",
        }
        error_messages = {
            "modality": {
                "required": "Choose the modality: it is the one thing every brief states.",
                "invalid_choice": "Unknown modality: choose one from the list.",
            },
            "batch_size": {"invalid": "Enter the batch size as a number greater than 0."},
            "max_oel_ug_m3": {"invalid": "Enter the OEL as a number of µg/m³ greater than 0."},
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        terms = Term.objects.order_by("name")
        modality = cast("forms.ModelChoiceField[Term]", self.fields["modality"])
        modality.queryset = terms.filter(kind=TermKind.MODALITY)
        modality.empty_label = "Choose a modality"
        self._term_field("dosage_forms").queryset = terms.filter(kind=TermKind.DOSAGE_FORM)
        self._term_field("services").queryset = terms.filter(kind=TermKind.SERVICE)
        self._term_field("technologies").queryset = terms.filter(kind=TermKind.TECHNOLOGY)
        _relabel_blank(self.fields["phase"], "Any phase")
        _relabel_blank(self.fields["dea_schedule"], "Not controlled")
        weights = self.instance.weights or {}
        span = f"from {MIN_WEIGHT} to {MAX_WEIGHT}"
        for criterion in Criterion:
            self.fields[_weight_field_name(criterion.value)] = forms.IntegerField(
                label=criterion.label,
                min_value=MIN_WEIGHT,
                max_value=MAX_WEIGHT,
                initial=weights.get(criterion.value, DEFAULT_WEIGHT),
                widget=forms.NumberInput(attrs={"step": "1"}),
                error_messages={
                    "required": f"Give {criterion.label.lower()} a weight {span}.",
                    "invalid": f"The {criterion.label.lower()} weight is a whole number {span}.",
                    "min_value": f"The {criterion.label.lower()} weight is {span}; "
                    f"{MIN_WEIGHT} ignores the criterion.",
                    "max_value": f"The {criterion.label.lower()} weight is {span}; "
                    f"{MAX_WEIGHT} counts most.",
                },
            )

    def _term_field(self, name: str) -> "forms.ModelMultipleChoiceField[Term]":
        """A many-to-many field to terms (the model form builds one for each term set)."""
        return cast("forms.ModelMultipleChoiceField[Term]", self.fields[name])

    @property
    def fieldsets(self) -> list[tuple[str, list[forms.BoundField], list[forms.BoundField]]]:
        """(legend, single-value fields, checkbox groups); the tall groups get rows of their own."""
        fieldsets = []
        for legend, names in self.fieldset_layout:
            fields = [self[name] for name in names if not name.startswith("weight_")]
            groups = [
                field
                for field in fields
                if isinstance(field.field.widget, forms.CheckboxSelectMultiple)
            ]
            fieldsets.append((legend, [f for f in fields if f not in groups], groups))
        return fieldsets

    @property
    def weight_fields(self) -> list[forms.BoundField]:
        return [self[_weight_field_name(c)] for c in Criterion.values]

    def clean(self) -> dict[str, Any]:
        # ModelForm.clean returns cleaned_data (the stubs allow an override to return None).
        super().clean()
        cleaned = self.cleaned_data
        for field, messages in brief_errors(cleaned).items():
            for message in messages:
                self.add_error(field, message)
        weights = {c: cleaned.get(_weight_field_name(c)) for c in Criterion.values}
        if all(weight is not None for weight in weights.values()):
            self.instance.weights = weights
        return cleaned

    def to_criteria(self) -> BriefCriteria:
        """The valid form's brief as the engine reads it, without saving it (the live preview).

        Validation has copied the plain fields and the weights onto `instance`; the term sets
        are not saved yet, so they come from the cleaned data.
        """
        return brief_criteria(
            self.instance, {name: self.cleaned_data.get(name) or () for name in TERM_SETS}
        )


class RunStartForm(forms.Form):
    """The brief page's "Run match" form: which ranking method the run uses."""

    method = forms.ChoiceField(
        label="Ranking",
        choices=RunMethod.choices,
        initial=RunMethod.WEIGHTED,
        widget=forms.RadioSelect,
        help_text="Weighted mean: each site's score ranks it. TOPSIS: the sites closest to the "
        "ideal on every criterion at once rank first.",
        error_messages={"invalid_choice": "Choose weighted mean or TOPSIS."},
    )


class InvitationForm(forms.Form):
    """The members page's "Invite a colleague" form; matching/invitations.py checks the address."""

    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        error_messages={
            "required": "Enter the colleague's e-mail address.",
            "invalid": "Enter an e-mail address, such as name@example.com.",
        },
    )
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.MEMBER,
        error_messages={"invalid_choice": "Choose admin, member or viewer."},
    )


class InvitedAccountForm(UserCreationForm):
    """A new account made through an invitation: its address is the invited one, fixed.

    The passwords are checked by the project's password validators (the address included, so a
    password too close to it is refused)."""

    email = forms.EmailField(
        label="E-mail address",
        disabled=True,
        required=False,
        help_text="The address the invitation was sent to.",
    )

    class Meta:
        model = get_user_model()
        fields = ("username",)
        field_classes = {"username": UsernameField}

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        self.fields["email"].initial = invitation.email
        self.instance.email = invitation.email
        self.order_fields(["username", "email", "password1", "password2"])
        fields = self.fields
        fields["username"].help_text = "You sign in with it: letters, digits and @ . + - _ only."
        fields["username"].error_messages["required"] = "Choose a username."
        # Django's help is an HTML list; one plain sentence each reads better under the field.
        fields["password1"].help_text = " ".join(password_validators_help_texts())
        fields["password1"].error_messages["required"] = "Choose a password."
        fields["password2"].error_messages["required"] = "Type the password again."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if get_user_model().objects.filter(email__iexact=self.invitation.email).exists():
            self.add_error(
                "email",
                f"An account with the address {self.invitation.email} exists already: sign in "
                "with it to accept the invitation.",
            )
        return cleaned
