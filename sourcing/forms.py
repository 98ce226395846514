"""The sourcing pages' forms: create a shortlist, add sites to one, move a candidate, assign its
next step, write a note.

The forms read the request; sourcing/pipeline.py decides. `PipelineForm.apply` calls a pipeline
function and turns its ValidationError, keyed by field, into the form's errors, so that each
message is shown beside the field it names and nothing is changed.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from matching.models import Brief, Organisation
from sourcing.choices import EXITS, PIPELINE, AttachmentKind, ExitReason
from sourcing.documents import ACCEPT_ATTRIBUTE, ACCEPTED_LIST, max_size
from sourcing.models import ASSUMPTIONS_MAX_LENGTH, EXIT_NOTE_MAX_LENGTH, NOTE_MAX_LENGTH

T = TypeVar("T")

# The move form's stage select: the pipeline's steps in order, then the ways out of the race.
STAGE_CHOICES = [
    ("In the pipeline", [(stage.value, stage.label) for stage in PIPELINE]),
    ("Out of the race", [(stage.value, stage.label) for stage in EXITS]),
]
# How a board or table is shown, and the candidate's own page: where a move returns to.
VIEWS = ("board", "table", "candidate")


class PipelineForm(forms.Form):
    """A form whose changes are made by a sourcing/pipeline.py function."""

    # The pipeline's error keys that are named differently here.
    pipeline_fields: dict[str, str] = {}

    def apply(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Call `action`; on a ValidationError, add its messages to the fields they name and
        return None."""
        try:
            return action(*args, **kwargs)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                self.add_error(None, error.messages)
                return None
            for key, messages in error.message_dict.items():
                name = self.pipeline_fields.get(key, key)
                self.add_error(name if name in self.fields else None, messages)
            return None

    def add_error(self, field: str | None, error: Any) -> None:
        """Add the error, and mark every field in error as invalid, described by the errors.
        The first of them, in the form's order, takes the focus when the page comes back, so
        the keyboard lands on what to correct rather than at the top of the page."""
        super().add_error(field, error)
        in_error = [name for name in self.fields if name in self.errors]
        for name in in_error:
            attrs = self.fields[name].widget.attrs
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = self.errors_id
            attrs.pop("autofocus", None)
        if in_error:
            self.fields[in_error[0]].widget.attrs["autofocus"] = True

    @property
    def errors_id(self) -> str:
        """The id of the element listing the form's errors."""
        auto_id = self.auto_id if isinstance(self.auto_id, str) and "%s" in self.auto_id else ""
        return auto_id % "errors" if auto_id else "form-errors"

    def labelled_errors(self) -> list[str]:
        """Every error of the form, each led by the label of the field it is about."""
        found: list[str] = []
        for name, errors in self.errors.items():
            label = self[name].label if name in self.fields else None
            found.extend(f"{label}: {error}" if label else str(error) for error in errors)
        return found


class ShortlistForm(PipelineForm):
    """A new shortlist: its title and, optionally, the brief of the organisation it answers."""

    title = forms.CharField(
        max_length=200,
        required=False,  # the pipeline says what is missing
        widget=forms.TextInput(attrs={"required": True, "autocomplete": "off"}),
    )
    brief = forms.ModelChoiceField(
        queryset=Brief.objects.none(),
        required=False,
        empty_label="None: a standalone shortlist",
        help_text="The brief the shortlist answers, if any.",
    )

    def __init__(self, *args: Any, organisation: Organisation | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        brief_field = self.fields["brief"]
        assert isinstance(brief_field, forms.ModelChoiceField)
        brief_field.queryset = (
            Brief.objects.filter(organisation=organisation).order_by("title", "pk")
            if organisation is not None
            else Brief.objects.none()
        )


class IdsField(forms.Field):
    """Ids as repeated values (hidden inputs or checkboxes); `not_ids` says what a value that is
    not a whole number is refused with."""

    widget = forms.MultipleHiddenInput
    not_ids = "Ids are whole numbers."

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        try:
            return [int(item) for item in values if str(item).strip()]
        except (TypeError, ValueError):
            raise ValidationError(self.not_ids, code="invalid") from None


class SiteIdsField(IdsField):
    """One or more site ids, as repeated `site` values."""

    not_ids = "Site ids are whole numbers."


class AddForm(PipelineForm):
    """Sites to put on a shortlist: an existing one of the organisation, or a new one."""

    pipeline_fields = {"sites": "site", "title": "new_title"}

    site = SiteIdsField(label="Sites", required=False)
    run = forms.IntegerField(required=False, widget=forms.HiddenInput)
    shortlist = forms.IntegerField(required=False, label="Shortlist", widget=forms.Select)
    new_title = forms.CharField(max_length=200, required=False, label="New shortlist", strip=True)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("site") and "site" not in self.errors:
            self.add_error("site", "Choose at least one site to add.")
        if not cleaned.get("new_title") and cleaned.get("shortlist") is None:
            self.add_error(
                "shortlist", "Choose a shortlist, or give a new one a title to create it."
            )
        return cleaned


class MoveForm(PipelineForm):
    """A candidate's next stage; to leave the race, the reason and an optional note."""

    stage = forms.CharField(label="Stage", widget=forms.Select(choices=STAGE_CHOICES))
    exit_reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Select(choices=[("", "—"), *ExitReason.choices]),
    )
    exit_note = forms.CharField(label="Note", required=False, max_length=EXIT_NOTE_MAX_LENGTH)

    # The choices as the move control's template writes them out itself: a board draws one
    # control per candidate, and rendering their widgets through Django's form templates
    # took most of a 200-candidate board's time.
    stage_choices = STAGE_CHOICES
    reason_choices = [("", "—"), *ExitReason.choices]


def returns_to(data: Mapping[str, Any]) -> str:
    """Where a move was made from (its `view`): the board, the table or the candidate's page."""
    view = data.get("view", "")
    return view if view in VIEWS else "board"


class MemberField(forms.ModelChoiceField):
    """A member of the organisation, by user name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_username())


class AssignForm(PipelineForm):
    """Who takes the candidate's next step, and by when."""

    owner = MemberField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Nobody"
    )
    due_on = forms.DateField(
        label="Next step due",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = (
            get_user_model()
            .objects.filter(membership__organisation=organisation)
            .order_by("username")
        )


class NoteForm(PipelineForm):
    text = forms.CharField(
        label="Note",
        required=False,  # the pipeline says what is missing
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
    )


# --- Quotes and attachments (sourcing/documents.py decides) -------------------------------------


class QuoteForm(PipelineForm):
    """A provider's quote: the same fields for every provider. Only the price and currency are
    needed; sourcing/documents.py says what is missing or out of range."""

    price = forms.DecimalField(
        label="Price",
        required=False,
        decimal_places=2,
        max_digits=14,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    currency = forms.CharField(
        label="Currency",
        max_length=10,
        required=False,
        help_text="ISO 4217 code, e.g. EUR, USD, CHF.",
        widget=forms.TextInput(
            attrs={"list": "currency-codes", "autocomplete": "off", "size": 5, "maxlength": 3}
        ),
    )
    batches = forms.IntegerField(label="Batches covered", required=False)
    scale_l = forms.FloatField(label="Batch scale (L)", required=False)
    lead_time_weeks = forms.IntegerField(label="Lead time (weeks)", required=False)
    minimum_order_batches = forms.IntegerField(label="Minimum order (batches)", required=False)
    valid_until = forms.DateField(
        label="Valid until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    assumptions = forms.CharField(
        label="Assumptions",
        required=False,
        max_length=ASSUMPTIONS_MAX_LENGTH,
        help_text="What the provider assumed in pricing.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AttachmentForm(PipelineForm):
    """A file to attach to a candidate, and what it is."""

    kind = forms.ChoiceField(label="What it is", choices=AttachmentKind.choices)
    file = forms.FileField(label="File", required=False, allow_empty_file=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ACCEPT_ATTRIBUTE
        self.fields["file"].help_text = f"{ACCEPTED_LIST}; at most {max_size()}."


# --- Team scoring ------------------------------------------------------------------------------


class CriterionForm(PipelineForm):
    """One row of a shortlist's evaluation criteria: its name, weight and place, or removed. A
    row without a name, weight or id is an unused blank one."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(
        label="Name", required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    # Read as given: sourcing/scoring.py says what a weight may be.
    weight = forms.CharField(
        label="Weight",
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 100, "step": 1, "class": "score-number"}),
    )
    order = forms.IntegerField(
        label="Order",
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "step": 1, "class": "score-number"}),
    )
    remove = forms.BooleanField(label="Remove", required=False)
    # Removing a criterion that has scores deletes them: confirmed here, row by row.
    delete_scores = forms.BooleanField(label="Also delete its scores", required=False)

    @property
    def blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not (data.get("id") or (data.get("name") or "").strip() or data.get("weight"))

    def add_error(self, field: str | None, error: Any) -> None:
        """Add the error; a field in error is described by its own message, beside it."""
        forms.Form.add_error(self, field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self.prefix}-{name}-error"


CriteriaFormSet = forms.formset_factory(CriterionForm, extra=2, max_num=40, absolute_max=60)


def score_field_name(candidate_id: int, criterion_id: int) -> str:
    """The scorecard's field for a candidate on a criterion."""
    return f"s-{candidate_id}-{criterion_id}"


SCORE_CHOICES = [("", "— not scored"), *((str(value), str(value)) for value in range(1, 6))]


class ScorecardForm(PipelineForm):
    """A member's own scores: a select per candidate and criterion, 1 to 5 or not scored. A
    field the request does not send is left as it is (a page loaded before a criterion was
    added does not clear its scores)."""

    def __init__(
        self,
        *args: Any,
        candidates: list[Any],
        criteria: list[Any],
        own: Mapping[int, Mapping[int, int]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        self.criteria = criteria
        for candidate in candidates:
            for criterion in criteria:
                name = score_field_name(candidate.pk, criterion.pk)
                self.fields[name] = forms.ChoiceField(
                    label=f"{candidate.site_name} ({candidate.provider_name}), {criterion.name}",
                    choices=SCORE_CHOICES,
                    required=False,
                    initial=own.get(candidate.pk, {}).get(criterion.pk, ""),
                    error_messages={"invalid_choice": "Scores run from 1 to 5."},
                )

    def sent(self) -> dict[int, dict[int, int | None]]:
        """The scores sent, per candidate: criterion id → 1..5, or None for not scored."""
        sent: dict[int, dict[int, int | None]] = {}
        for candidate in self.candidates:
            for criterion in self.criteria:
                name = score_field_name(candidate.pk, criterion.pk)
                if self.add_prefix(name) not in self.data:
                    continue
                value = self.cleaned_data.get(name)
                sent.setdefault(candidate.pk, {})[criterion.pk] = int(value) if value else None
        return sent
