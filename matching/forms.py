"""The brief form: a sponsor's needs in five fieldsets, checked by the rules the API uses too; the
run form; the invitation form and the account form of an invitation's accept page."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm, UsernameField
from django.contrib.auth.password_validation import password_validators_help_texts
from django.db.models import QuerySet
from django.forms.boundfield import BoundWidget
from django_countries import countries

from matching.choices import DEFAULT_WEIGHT, MAX_WEIGHT, MIN_WEIGHT, Criterion, Role
from matching.engine.criteria import ITEM_LISTS, TERM_SETS, BriefCriteria, brief_criteria
from matching.models import Brief, Invitation, RunMethod
from matching.validation import (
    CRITERION_ITEM_LISTS,
    ITEM_LIST_LABELS,
    brief_errors,
    per_item_must_haves,
)
from partners.choices import MARKET_AUTHORITY, CertificationKind, Region, TermKind
from partners.models import Term
from partners.regions import REGION_HELP

MARKET_CHOICES = [
    (code, code if code == authority.value else f"{code}: {authority.label}")
    for code, authority in MARKET_AUTHORITY.items()
]


def _weight_field_name(criterion: str) -> str:
    return f"weight_{criterion}"


def _must_have_field_name(list_name: str) -> str:
    return f"must_have_{list_name}"


@dataclass(frozen=True)
class ItemGroup:
    """A list of the brief whose every item has its own must-have toggle: the list's checkbox
    group, the toggles' field, and the rows pairing each item with its toggle."""

    field: forms.BoundField
    must_have: forms.BoundField
    rows: list[tuple[BoundWidget, BoundWidget]]
    is_item_group = True


def _relabel_blank(field: forms.Field, label: str) -> None:
    """Label the blank choice, the first, of a choice field built from a model field."""
    choice_field = cast(forms.ChoiceField, field)
    # A model field's choices reach its form field as a list of (value, label) pairs.
    choices = cast(list[tuple[str, str]], choice_field.choices)
    choice_field.choices = [("", label), *choices[1:]]


class BriefForm(forms.ModelForm):
    """Create or edit a brief. Weights are a number input per criterion, gathered into
    `Brief.weights`."""

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
        choices=Region.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=REGION_HELP,
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
        # Capability, markets and certifications are must-haves item by item, beside each item.
        choices=[(v, label) for v, label in Criterion.choices if v not in CRITERION_ITEM_LISTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A site that fails a must-have is excluded, with the reason. A dosage form, "
        "service, technology, market or certification is a must-have by the toggle beside it.",
    )

    fieldset_layout = [
        (
            "What",
            ["title", "modality", "dosage_forms", "services", "technologies", "development_needed"],
        ),
        ("Scale and phase", ["phase", "batch_size", "batch_unit", "needed_by"]),
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
            "needed_by",
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
            "needed_by": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {
            "max_oel_ug_m3": "OEL to contain (µg/m³)",
            "development_needed": "Development needed",
            "needed_by": "Needed by",
        }
        error_messages = {
            "modality": {
                "required": "Choose the modality: it is the one thing every brief states.",
                "invalid_choice": "Unknown modality: choose one from the list.",
            },
            "batch_size": {"invalid": "Enter the batch size as a number greater than 0."},
            "max_oel_ug_m3": {"invalid": "Enter the OEL as a number of µg/m³ greater than 0."},
            "needed_by": {"invalid": "Enter the date as YYYY-MM-DD, such as 2027-03-31."},
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The rules on the weights together (all 0), shown above them; set by clean().
        self.weights_errors: list[str] = []
        terms = Term.objects.order_by("name")
        modality = cast("forms.ModelChoiceField[Term]", self.fields["modality"])
        modality.queryset = terms.filter(kind=TermKind.MODALITY)
        modality.empty_label = "Choose a modality"
        self._term_field("dosage_forms").queryset = terms.filter(kind=TermKind.DOSAGE_FORM)
        self._term_field("services").queryset = terms.filter(kind=TermKind.SERVICE)
        self._term_field("technologies").queryset = terms.filter(kind=TermKind.TECHNOLOGY)
        _relabel_blank(self.fields["phase"], "Any phase")
        _relabel_blank(self.fields["dea_schedule"], "Not controlled")
        self._add_must_have_item_fields(terms)
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

    def _add_must_have_item_fields(self, terms: "QuerySet[Term]") -> None:
        """A "must-have" toggle for each item of each list in ITEM_LISTS, by the item's code (a
        term's slug, a market code, a certification kind), as Brief.must_have_items stores it."""

        def term_choices(kind: TermKind) -> Callable[[], list[tuple[str, str]]]:
            # Read when the toggles are shown or a toggled slug is checked, not before: the
            # live preview validates the form on every change without showing it.
            return lambda: list(terms.filter(kind=kind).values_list("slug", "name"))

        choices: dict[str, Any] = {
            "dosage_forms": term_choices(TermKind.DOSAGE_FORM),
            "services": term_choices(TermKind.SERVICE),
            "technologies": term_choices(TermKind.TECHNOLOGY),
            "target_markets": MARKET_CHOICES,
            "required_certifications": list(CertificationKind.choices),
        }
        # A brief saved with a must-have on a whole criterion shows it on each of its items.
        instance = self.instance
        stored = (
            per_item_must_haves(
                {
                    "must_haves": instance.must_haves,
                    "must_have_items": instance.must_have_items,
                    "target_markets": instance.target_markets,
                    "required_certifications": instance.required_certifications,
                    **{name: getattr(instance, name).all() for name in TERM_SETS},
                }
            )[1]
            if instance.pk and set(instance.must_haves or ()) & set(CRITERION_ITEM_LISTS)
            else instance.must_have_items or {}
        )
        for list_name in ITEM_LISTS:
            self.fields[_must_have_field_name(list_name)] = forms.MultipleChoiceField(
                label=f"Must-have {ITEM_LIST_LABELS[list_name]}",
                choices=choices[list_name],
                required=False,
                initial=list(stored.get(list_name, [])),
                widget=forms.CheckboxSelectMultiple,
            )

    def _item_group(self, field: forms.BoundField) -> ItemGroup:
        must_have = self[_must_have_field_name(field.name)]
        toggles = {str(toggle.data["value"]): toggle for toggle in must_have}
        rows = []
        for option in field:
            value = option.data["value"]
            # A term's option holds the term (ModelChoiceIteratorValue); its toggle, the slug.
            code = str(getattr(getattr(value, "instance", None), "slug", value))
            if code in toggles:
                rows.append((option, toggles[code]))
        return ItemGroup(field=field, must_have=must_have, rows=rows)

    def _clean_must_have_items(self) -> None:
        """Gather the toggles into `instance.must_have_items`; a toggled item must be ticked."""
        cleaned = self.cleaned_data
        items: dict[str, list[str]] = {}
        for list_name in ITEM_LISTS:
            field_name = _must_have_field_name(list_name)
            wanted = cleaned.get(field_name) or []
            if not wanted:
                continue
            chosen = {str(getattr(item, "slug", item)) for item in cleaned.get(list_name) or ()}
            labels = dict(self.fields[field_name].choices)  # type: ignore[attr-defined]
            for code in wanted:
                if code not in chosen and list_name not in self.errors:
                    self.add_error(
                        list_name,
                        f"{labels.get(code, code)} is marked a must-have but not chosen: tick it "
                        "too, or untick its must-have.",
                    )
            items[list_name] = [code for code in wanted if code in chosen]
        self.instance.must_have_items = {name: codes for name, codes in items.items() if codes}

    def _term_field(self, name: str) -> "forms.ModelMultipleChoiceField[Term]":
        """A many-to-many field to terms (the model form builds one for each term set)."""
        return cast("forms.ModelMultipleChoiceField[Term]", self.fields[name])

    @property
    def fieldsets(
        self,
    ) -> list[tuple[str, list[forms.BoundField], list[forms.BoundField | ItemGroup]]]:
        """(legend, single-value fields, checkbox groups); the tall groups get rows of their own."""
        fieldsets: list[tuple[str, list[forms.BoundField], list[forms.BoundField | ItemGroup]]] = []
        for legend, names in self.fieldset_layout:
            fields = [self[name] for name in names if not name.startswith("weight_")]
            groups = [
                field
                for field in fields
                if isinstance(field.field.widget, forms.CheckboxSelectMultiple)
            ]
            singles = [f for f in fields if f not in groups]
            # The lists whose items are each a must-have or not show a toggle beside each item.
            shown: list[forms.BoundField | ItemGroup] = [
                self._item_group(f) if f.name in ITEM_LISTS else f for f in groups
            ]
            fieldsets.append((legend, singles, shown))
        return fieldsets

    @property
    def weight_fields(self) -> list[forms.BoundField]:
        return [self[_weight_field_name(c)] for c in Criterion.values]

    def clean(self) -> dict[str, Any]:
        # ModelForm.clean returns cleaned_data (the stubs allow an override to return None).
        super().clean()
        cleaned = self.cleaned_data
        weights = {c: cleaned.get(_weight_field_name(c)) for c in Criterion.values}
        # Weights that did not validate are not checked together.
        stated_weights = weights if all(w is not None for w in weights.values()) else {}
        self.weights_errors = []
        for field, messages in brief_errors({**cleaned, "weights": stated_weights}).items():
            for message in messages:
                if field == "weights":
                    # Shown above the weights; the form's summary lists it too.
                    self.weights_errors.append(message)
                    self.add_error(None, message)
                else:
                    self.add_error(field, message)
        if all(weight is not None for weight in weights.values()):
            self.instance.weights = weights
        self._clean_must_have_items()
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
