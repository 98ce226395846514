"""The curators' admin: providers with their sites inline, each site with its records inline.

Every model keeps a history (django-simple-history): the "History" button on a change page shows
who changed what and when, field by field, and why when the curator gave a reason ("Reason for
this change", under the form). A provider's and a site's history include the records edited
inline on their pages, each save one entry (partners/history.py).

Changing a site's FEI moves regulator records between sites: the save first says how many it
would detach and attach, and saves only once the curator confirms (every other edit kept).

Regulator exports are uploaded as RegulatorImports: the change page of one shows its progress and
report, and the list links to the FEIs that records name and no site carries.

The review queues (partners/review_queues.py) are counted on the admin's front page and worked
through as the "review queue" filter of the providers', sites' and certificates' lists.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import Count
from django.forms.models import BaseInlineFormSet, _get_foreign_key
from django.forms.utils import ErrorList
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import bulk_update_with_history

from core.choices import JobStatus
from partners import tasks
from partners.catalogue_version import bump_catalogue_version
from partners.choices import VerificationStatus
from partners.fei import normalize_fei
from partners.forms import RegulatorImportUploadForm
from partners.history import CombinedHistory, HistorySource
from partners.importers.fda import uploads
from partners.importers.fda.uploads import BIG_FILE_BYTES, BIG_FILE_ROWS, runs_in_worker
from partners.models import (
    Certification,
    Citation,
    Inspection,
    Provider,
    Published483,
    Published483RecordId,
    RegulatorImport,
    RegulatoryAction,
    Site,
    SiteCapability,
    Term,
)
from partners.regulatory.linking import FeiChangePreview, fei_change_preview
from partners.regulatory.unmatched_feis import country_code, unmatched_feis
from partners.review_queues import QUEUE_PARAMETER, queue_named, queues_of

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

admin.site.site_header = "CDMO Match curation"
admin.site.site_title = "CDMO Match curation"
admin.site.index_title = "Catalogue"


class ReviewQueueFilter(admin.SimpleListFilter):
    """The review queues of the listed model (partners/review_queues.py), as a list filter."""

    title = "review queue"
    parameter_name = QUEUE_PARAMETER

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [(queue.key, queue.title) for queue in queues_of(model_admin.model)]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        queue = queue_named(self.value() or "")
        if queue is None or queue.model is not queryset.model:
            return queryset
        return queryset.filter(queue.condition(timezone.localdate()))


# -- History: who, when, why ---------------------------------------------------------------------


class HistoriedAdminForm(forms.ModelForm):
    """A change form whose save can say why: the reason is kept in the history of every record
    the save writes (the page's object and its inline rows)."""

    change_reason = forms.CharField(
        label="Reason for this change",
        required=False,
        max_length=100,  # simple_history's history_change_reason column
        help_text="Optional. Shown in the history beside the change, e.g. "
        "“EU GMP certificate renewed, per the inspectorate's letter of 3 March”.",
    )


class HistoriedAdmin(SimpleHistoryAdmin):
    """A model admin whose every save is one entry of history: the page's object and the inline
    rows it writes share one history date, user and reason (partners/history.py groups them by
    it), and an object left unchanged while its inline rows change writes no history row of its
    own. The provider and site pages' history includes their inline records."""

    form = HistoriedAdminForm

    def get_fields(self, request: HttpRequest, obj=None):
        # The reason is shown under the inline tables, beside the save buttons.
        return [name for name in super().get_fields(request, obj) if name != "change_reason"]

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        self._stamp(request, obj, form)
        if change and not set(form.changed_data) - {"change_reason"}:
            obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        for formset in formsets:
            for inline_form in formset.forms:
                self._stamp(request, inline_form.instance, form)
        try:
            super().save_related(request, form, formsets, change)
        finally:
            form.instance.__dict__.pop("skip_history_when_saving", None)

    def _stamp(self, request: HttpRequest, instance: models.Model, form) -> None:
        """Mark a record saved by this request with its date, user and reason."""
        if not hasattr(request, "_history_date"):
            request._history_date = timezone.now()  # type: ignore[attr-defined]
        instance._history_date = request._history_date  # type: ignore[attr-defined]
        instance._history_user = request.user  # type: ignore[attr-defined]
        if reason := form.cleaned_data.get("change_reason"):
            instance._change_reason = reason  # type: ignore[attr-defined]

    def history_sources(self) -> list[HistorySource]:
        """The object's own history, then that of each historied model edited inline."""
        sources = [HistorySource(self.model)]
        for inline in self.inlines:
            if hasattr(inline.model, "history"):
                parent = _get_foreign_key(
                    self.model, inline.model, fk_name=inline.fk_name, can_fail=False
                )
                sources.append(HistorySource(inline.model, parent.name))
        return sources

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        """The object's history with its inline records', one entry per save, newest first."""
        sources = self.history_sources()
        if len(sources) == 1:
            return super().history_view(request, object_id, extra_context)
        obj = self.get_object(request, object_id)
        if obj is None:
            # A deleted object's history is simple_history's own (read from its last row).
            return super().history_view(request, object_id, extra_context)
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        history = CombinedHistory(sources, obj.pk)
        paginator = Paginator(history, self.history_list_per_page)
        page_obj = paginator.get_page(request.GET.get("p"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {obj}",
            "object_history_list_template": "admin/partners/change_history_list.html",
            "page_obj": page_obj,
            "page_range": paginator.get_elided_page_range(page_obj.number),
            "page_var": "p",
            "pagination_required": paginator.num_pages > 1,
            "module_name": capfirst(str(self.opts.verbose_name_plural)),
            "object": obj,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            # Reverting is per record, from its own history: a save here may span several.
            "revert_disabled": True,
            **(extra_context or {}),
        }
        return self.render_history_view(request, self.object_history_template, context)


# -- FEI changes ------------------------------------------------------------------------------

# The form field the confirmation posts: "site id:new FEI" of each FEI change it confirms.
CONFIRM_FEI = "_confirm_fei"
# The button that leaves the confirmation to go on editing, nothing saved.
FEI_GO_BACK = "_fei_go_back"
FEI_UNCONFIRMED = "fei_change_unconfirmed"


@dataclass(frozen=True)
class FeiChange:
    """A site's FEI changed on a form and not yet confirmed, with what it would move."""

    site: Site
    old: str
    new: str
    preview: FeiChangePreview

    @property
    def token(self) -> str:
        return f"{self.site.pk}:{self.new}"

    def sentence(self, on_its_own_page: bool) -> str:
        """What the change moves, in a sentence: Changing the FEI of this site from 3001234567
        to 3009876543 detaches 9 regulator records (…) from it and attaches 3 inspections."""
        preview = self.preview
        where = "this site" if on_its_own_page else f"“{self.site.name}”"
        if self.old and self.new:
            change = f"Changing the FEI of {where} from {self.old} to {self.new}"
        elif self.new:
            change = f"Giving {where} the FEI {self.new}"
        else:
            change = f"Removing the FEI {self.old} from {where}"
        parts = []
        if preview.detached:
            moved = _moved(preview.detached, preview.detached_by_kind, preview.detached_oai)
            parts.append(f"detaches {moved} from it")
        if preview.attached:
            moved = _moved(preview.attached, preview.attached_by_kind, preview.attached_oai)
            parts.append(f"attaches {moved}" if preview.detached else f"attaches {moved} to it")
        return f"{change} {' and '.join(parts)}."


def _moved(count: int, by_kind: dict[str, int], oai: int) -> str:
    """The records an FEI change moves, e.g. 8 inspections (1 of them OAI), or 9 regulator
    records (8 inspections, 1 of them OAI; 1 regulatory action) when of several kinds."""
    alone = len(by_kind) == 1
    kinds = []
    for kind, n in sorted(by_kind.items()):
        named = f"{n:,} {kind if n == 1 else _plural(kind)}"
        if kind == "inspection" and oai:
            of_them = "OAI" if n == 1 else f"{oai:,} of them OAI"
            named += f" ({of_them})" if alone else f", {of_them}"
        kinds.append(named)
    if alone:
        return kinds[0]
    return f"{count:,} regulator records ({'; '.join(kinds)})"


def _plural(kind: str) -> str:
    return {"published 483": "published 483s"}.get(kind, f"{kind}s")


class FeiChangeConfirmation(forms.ModelForm):
    """A form of a site whose FEI change, when it moves regulator records, waits for the
    curator's confirmation: the form is invalid, nothing saved, until it is posted again with the
    change confirmed (ConfirmsFeiChanges shows what the change moves, with the buttons)."""

    # The change waiting for confirmation, or the token of the one this post confirmed.
    fei_change: FeiChange | None = None
    fei_confirmed: str = ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned is None:
            # A clean() that returns nothing keeps the form's cleaned data (as Django does).
            cleaned = self.cleaned_data
        self.fei_change = None
        site = self.instance
        if site.pk is None or "fei_number" not in cleaned or cleaned.get("DELETE"):
            return cleaned
        old, new = normalize_fei(site.fei_number), normalize_fei(cleaned["fei_number"])
        if old == new:
            return cleaned
        change = FeiChange(site=site, old=old, new=new, preview=fei_change_preview(site, new))
        if not change.preview.changes_anything:
            return cleaned  # nothing to lose or gain: no question to ask
        # A posted form's data holds every value a name was posted with; a plain mapping, one.
        if isinstance(self.data, MultiValueDict):
            posted = self.data.getlist(CONFIRM_FEI)
        else:
            posted = [self.data.get(CONFIRM_FEI, "")]
        confirmed = " ".join(posted).split()
        if change.token in confirmed:
            self.fei_confirmed = change.token
            return cleaned
        self.fei_change = change
        self.add_error(
            "fei_number",
            ValidationError("Not saved yet: confirm the FEI change above.", code=FEI_UNCONFIRMED),
        )
        return cleaned


class SiteAdminForm(FeiChangeConfirmation, HistoriedAdminForm):
    pass


class SiteInlineForm(FeiChangeConfirmation):
    pass


class ConfirmsFeiChanges(admin.ModelAdmin):
    """A change page whose form or inline rows edit sites' FEIs: an FEI change is saved once
    confirmed. The page then shows what each pending change would move, above the form, with
    "Confirm and save" (which posts the form again, every edit in it, the changes confirmed)
    and "Go back" (which shows the form again, edits kept, nothing saved)."""

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any | None = None,
    ) -> HttpResponse:
        forms_ = [context["adminform"].form] + [
            inline_form
            for inline in context.get("inline_admin_formsets", [])
            for inline_form in inline.formset.forms
        ]
        pending = [form.fei_change for form in forms_ if getattr(form, "fei_change", None)]
        if pending:
            # The confirmation is no error to correct.
            context["errors"] = ErrorList(
                [errors for errors in context.get("errors", []) if not _only_unconfirmed(errors)]
            )
        if pending and FEI_GO_BACK in request.POST:
            # Back to the form as it was posted, without the confirmation's marks.
            for form in forms_:
                if getattr(form, "fei_change", None) is not None:
                    _drop_unconfirmed(form)
            messages.info(request, "Nothing is saved. Saving asks again about the FEI change.")
        elif pending:
            on_its_own_page = self.model is Site
            context["fei_changes"] = [change.sentence(on_its_own_page) for change in pending]
            context["fei_confirmation"] = " ".join(change.token for change in pending)
            # Confirming goes where the button first pressed would have gone.
            context["fei_then"] = next(
                (name for name in ("_continue", "_addanother") if name in request.POST), ""
            )
        # Changes confirmed in a post that other errors kept from saving stay confirmed.
        context["fei_confirmed"] = [
            form.fei_confirmed for form in forms_ if getattr(form, "fei_confirmed", None)
        ]
        return super().render_change_form(request, context, add, change, form_url, obj)


def _only_unconfirmed(errors: ErrorList) -> bool:
    return all(error.code == FEI_UNCONFIRMED for error in errors.as_data())


def _drop_unconfirmed(form: forms.Form) -> None:
    remaining = [e for e in form.errors["fei_number"].as_data() if e.code != FEI_UNCONFIRMED]
    if remaining:
        form.errors["fei_number"] = form.error_class(remaining, renderer=form.renderer)
    else:
        del form.errors["fei_number"]


class ProviderAdminForm(HistoriedAdminForm):
    """Choosing "verified" with no date verifies the provider today (the page's script shows
    the date as soon as "verified" is chosen; saving fills it in without the script too). The
    admin makes it a form of Provider with the admin's fields."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        verified_on = self.fields["verified_on"]
        verified_on.help_text = "Required when verified; left empty, it is today."
        verified_on.widget.attrs["data-today"] = verified_on.widget.format_value(
            timezone.localdate()
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if (
            cleaned.get("verification_status") == VerificationStatus.VERIFIED
            and not cleaned.get("verified_on")
            and "verified_on" not in self.errors  # a date mistyped is an error, not "today"
        ):
            cleaned["verified_on"] = timezone.localdate()
        return cleaned


class LabelledInlineFormSet(BaseInlineFormSet):
    """An inline table's rows whose "delete" boxes have a name for screen readers: the table
    prints them without a label."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["aria-label"] = "Delete"


class CompactInline(admin.TabularInline):
    """An inline table narrow enough for a 1366 px screen (css/admin-curation.css sets the
    columns' widths): authorities and classifications by their codes (FDA, EMA; NAI, VAI, OAI),
    and no add-change-delete icons beside a vocabulary term. Each field is named after its
    column for screen readers, as the table's cells have no labels of their own."""

    formset = LabelledInlineFormSet
    # Fields whose choices show as their codes, the long names staying on the record's own page.
    coded_fields = ("authority", "classification")

    def formfield_for_choice_field(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name in self.coded_fields:
            kwargs["choices"] = [
                (value, value or label)
                for value, label in db_field.get_choices(include_blank=db_field.blank)
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is None:
            return None
        widget = formfield.widget
        if isinstance(widget, RelatedFieldWidgetWrapper):
            if db_field.name in self.autocomplete_fields:
                widget.can_add_related = widget.can_change_related = False
                widget.can_delete_related = widget.can_view_related = False
                # select2 takes the column's width instead of measuring the longest term.
                widget.widget.attrs["data-width"] = "100%"
            widget = widget.widget
        widget.attrs["aria-label"] = str(formfield.label or capfirst(db_field.name))
        return formfield


class SiteInline(CompactInline):
    model = Site
    form = SiteInlineForm
    fields = ["name", "country", "city", "fei_number"]
    extra = 0
    show_change_link = True  # capabilities, certifications and records are edited on the site


class _SiteCount(TypedDict):
    site_count: int


@admin.register(Provider)
class ProviderAdmin(ConfirmsFeiChanges, HistoriedAdmin):
    list_display = ["name", "kind", "country", "site_count", "verification", "updated_at"]
    list_filter = [ReviewQueueFilter, "kind", "verification_status", "country"]
    search_fields = ["name", "slug", "sites__fei_number", "sites__name"]
    prepopulated_fields = {"slug": ["name"]}
    form = ProviderAdminForm
    inlines = [SiteInline]
    actions = ["mark_verified_today"]
    show_facets = admin.ShowFacets.ALLOW
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    class Media:
        js = ["js/admin-verification.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(site_count=Count("sites"))

    @admin.display(description="sites", ordering="site_count")
    def site_count(self, provider: "WithAnnotations[Provider, _SiteCount]") -> int:
        return provider.site_count

    @admin.display(description="verification", ordering="verified_on")
    def verification(self, provider: Provider) -> str:
        if provider.is_verified and provider.verified_on:
            return f"Verified on {date_format(provider.verified_on, 'j M Y')}"
        return provider.get_verification_status_display()

    @admin.action(description="Mark verified today", permissions=["change"])
    def mark_verified_today(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        """Verify the selected providers on today's date, each change kept in its history."""
        today = timezone.localdate()
        now = timezone.now()
        selected = list(queryset)
        providers = [
            provider
            for provider in selected
            if (provider.verification_status, provider.verified_on)
            != (VerificationStatus.VERIFIED, today)
        ]
        # Counted now: the selection may be a filtered list ("unverified") this action empties.
        already = len(selected) - len(providers)
        for provider in providers:
            provider.verification_status = VerificationStatus.VERIFIED
            provider.verified_on = today
            provider.updated_at = now
        with transaction.atomic():
            bulk_update_with_history(
                providers,
                Provider,
                ["verification_status", "verified_on", "updated_at"],
                default_user=request.user,
                default_change_reason="Marked verified today",
            )
            if providers:
                # A bulk update sends no signals: the directory's caches learn of it here.
                bump_catalogue_version()
        marked = f"{len(providers):,} provider{'' if len(providers) == 1 else 's'}"
        message = f"{marked} marked verified on {date_format(today, 'j F Y')}."
        if already:
            message += f" {already:,} already were."
        self.message_user(request, message, messages.SUCCESS)


class SiteCapabilityInline(CompactInline):
    model = SiteCapability
    fields = ["term", "max_batch_kg", "max_volume_l", "provenance"]
    autocomplete_fields = ["term"]
    extra = 0


class CertificationInline(CompactInline):
    model = Certification
    fields = ["kind", "authority", "reference", "issued_on", "valid_until", "status"]
    extra = 0
    show_change_link = True  # source and retrieval date are on the certification's own page


class InspectionInline(CompactInline):
    model = Inspection
    fields = ["authority", "inspection_id", "end_date", "classification", "project_area"]
    extra = 0
    show_change_link = True


class RegulatoryActionInline(CompactInline):
    model = RegulatoryAction
    fields = ["authority", "action_type", "action_date", "case_id", "product_type"]
    extra = 0
    show_change_link = True


@admin.register(Site)
class SiteAdmin(ConfirmsFeiChanges, HistoriedAdmin):
    list_display = ["name", "provider", "country", "city", "fei_number", "oel_ug_m3"]
    form = SiteAdminForm
    list_filter = [ReviewQueueFilter, "country", "phases", "dea_schedules"]
    list_select_related = ["provider"]
    search_fields = ["name", "city", "fei_number", "provider__name"]
    autocomplete_fields = ["provider"]
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    # Derived from the records below and recomputed nightly: shown, never edited.
    readonly_fields = ["compliance_score", "compliance_state", "compliance_as_of"]
    inlines = [SiteCapabilityInline, CertificationInline, InspectionInline, RegulatoryActionInline]


@admin.register(Term)
class TermAdmin(HistoriedAdmin):
    list_display = ["name", "slug", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]


@admin.register(SiteCapability)
class SiteCapabilityAdmin(HistoriedAdmin):
    list_display = ["site", "term", "max_batch_kg", "max_volume_l", "provenance"]
    list_filter = ["provenance", "term__kind", "term"]
    list_select_related = ["site__provider", "term"]
    search_fields = ["site__name", "site__provider__name", "term__slug"]
    autocomplete_fields = ["site", "term"]


@admin.register(Certification)
class CertificationAdmin(HistoriedAdmin):
    list_display = ["site", "kind", "authority", "issued_on", "valid_until", "status"]
    list_filter = [ReviewQueueFilter, "kind", "authority", "status"]
    list_select_related = ["site__provider"]
    search_fields = ["reference", "site__name", "site__provider__name"]
    autocomplete_fields = ["site"]
    date_hierarchy = "valid_until"


class RegulatorRecordAdmin(HistoriedAdmin):
    list_select_related = ["site__provider"]
    autocomplete_fields = ["site"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Inspection)
class InspectionAdmin(RegulatorRecordAdmin):
    list_display = [
        "inspection_id",
        "authority",
        "end_date",
        "classification",
        "fei_number",
        "site",
    ]
    list_filter = ["authority", "classification", "project_area"]
    search_fields = ["inspection_id", "fei_number", "legal_name", "site__name"]
    date_hierarchy = "end_date"


@admin.register(RegulatoryAction)
class RegulatoryActionAdmin(RegulatorRecordAdmin):
    list_display = ["action_type", "case_id", "authority", "action_date", "fei_number", "site"]
    list_filter = ["authority", "action_type"]
    search_fields = ["case_id", "fei_number", "legal_name", "site__name"]
    date_hierarchy = "action_date"


class Published483RecordIdInline(admin.TabularInline):
    model = Published483RecordId
    fields = ["record_id", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0


@admin.register(Published483)
class Published483Admin(RegulatorRecordAdmin):
    list_display = ["record_ids", "legal_name", "record_date", "publish_date", "fei_number", "site"]
    list_filter = ["authority", "record_type"]
    search_fields = ["record_ids__record_id", "fei_number", "legal_name", "site__name"]
    date_hierarchy = "publish_date"
    inlines = [Published483RecordIdInline]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("record_ids")

    @admin.display(description="record IDs")
    def record_ids(self, document: Published483) -> str:
        # A document FDA renumbered has several.
        return ", ".join(document.record_id_list)


@admin.register(Citation)
class CitationAdmin(RegulatorRecordAdmin):
    list_display = [
        "inspection_id",
        "cfr_number",
        "short_description",
        "inspection_end_date",
        "fei_number",
        "site",
    ]
    list_filter = ["authority", "program_area"]
    search_fields = ["inspection_id", "cfr_number", "fei_number", "legal_name", "site__name"]
    date_hierarchy = "inspection_end_date"


# How many rejected rows an import's report page lists (it counts them all).
LISTED_REJECTIONS = 200
UNMATCHED_FEIS_PER_PAGE = 100


@admin.register(RegulatorImport)
class RegulatorImportAdmin(admin.ModelAdmin):
    """Upload an FDA export, watch it import, read its report. Imports are records of what
    happened: nobody edits one (a file is uploaded again instead)."""

    list_display = ["file_name", "status", "outcome", "uploaded_by", "created_at"]
    list_select_related = ["created_by"]
    search_fields = ["file_name"]
    change_form_template = "admin/partners/regulatorimport/change_form.html"
    change_list_template = "admin/partners/regulatorimport/change_list.html"
    readonly_fields = ["file_name", "file_size", "uploaded_by", "created_at"]

    def get_queryset(self, request: HttpRequest):
        # The file's bytes are read by the import alone, never by a page.
        return super().get_queryset(request).defer("content")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj=None) -> tuple[str, ...]:
        return ("file",) if obj is None else tuple(self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [] if obj is None else self.readonly_fields

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        if obj is None:
            kwargs["form"] = RegulatorImportUploadForm
        return super().get_form(request, obj, change, **kwargs)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "unmatched-feis/",
                view(self.unmatched_feis_view),
                name="partners_regulatorimport_unmatched_feis",
            ),
            path(
                "<path:object_id>/progress/",
                view(self.progress_view),
                name="partners_regulatorimport_progress",
            ),
            *super().get_urls(),
        ]

    # -- List -------------------------------------------------------------------------------------

    @admin.display(description="rows: created / updated / rejected")
    def outcome(self, upload: RegulatorImport) -> str:
        if upload.status == JobStatus.RUNNING:
            total = f" of {upload.rows_total:,}" if upload.rows_total else ""
            return f"{upload.rows_done:,}{total} read so far"
        if upload.status != JobStatus.DONE:
            return ""
        report = upload.report
        outcome = f"{report['created']:,} / {report['updated']:,} / {report['rejected']:,}"
        if report.get("merged"):
            # A 483 FDA published again under a new Record ID, merged into the one stored.
            outcome += f" ({report['merged']:,} merged)"
        return outcome

    @admin.display(description="uploaded by", ordering="created_by__username")
    def uploaded_by(self, upload: RegulatorImport) -> str:
        # Plain text: curators may not see users' admin pages.
        return upload.created_by.get_username() if upload.created_by else "—"

    @admin.display(description="size")
    def file_size(self, upload: RegulatorImport) -> str:
        return filesizeformat(upload.size)

    # -- Upload -----------------------------------------------------------------------------------

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": "Import an FDA Data Dashboard export",
            "big_file_bytes": BIG_FILE_BYTES,
            "big_file_rows": BIG_FILE_ROWS,
        }
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: RegulatorImport, form, change: bool) -> None:
        assert request.user.is_authenticated  # the admin serves signed-in staff alone
        obj.created_by = request.user
        # A small file is imported now; a big one once this request's transaction commits.
        obj.queued = runs_in_worker(obj)
        if obj.queued:
            obj.queued_at = timezone.now()
        super().save_model(request, obj, form, change)
        if obj.queued:
            # Never raises: with the broker down the import waits, saying so, for the sweep.
            tasks.send_regulator_import(
                obj.pk, when_not_sent=lambda: messages.warning(request, uploads.BROKER_DOWN)
            )
        else:
            tasks.run_regulator_import(obj.pk)

    def response_add(self, request: HttpRequest, obj: RegulatorImport, post_url_continue=None):
        obj.refresh_from_db(fields=["status", "error", "report"])
        if obj.queued:
            messages.info(
                request,
                f"“{obj}” is over {filesizeformat(BIG_FILE_BYTES)} or {BIG_FILE_ROWS:,} rows: "
                "a worker imports it. This page shows its progress.",
            )
        elif obj.status == JobStatus.DONE:
            messages.success(request, f"“{obj}” is imported. Its report is below.")
        else:
            messages.error(request, f"“{obj}” was not imported: {obj.error}")
        return HttpResponseRedirect(reverse("admin:partners_regulatorimport_change", args=[obj.pk]))

    # -- Progress and report ----------------------------------------------------------------------

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: RegulatorImport | None = None,
    ) -> HttpResponse:
        if not add:
            context.update(self.progress_context(request, context["original"]))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The status, progress bar and report of an import: the fragment its page polls."""
        upload = self.get_object(request, object_id)
        if upload is None:
            raise Http404("No such import.")
        if not self.has_view_permission(request, upload):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/partners/regulatorimport/_progress.html",
            self.progress_context(request, upload),
        )

    def progress_context(self, request: HttpRequest, upload: RegulatorImport) -> dict:
        report = upload.report or {}
        rejections = report.get("rejections", [])[:LISTED_REJECTIONS]
        took = None
        if upload.started_at and upload.finished_at:
            took = (upload.finished_at - upload.started_at).total_seconds()
        return {
            "upload": upload,
            "took": took,
            "report": report,
            "rejections": rejections,
            "more_rejections": report.get("rejected", 0) - len(rejections),
            "more_unmatched": report.get("unmatched_feis", 0)
            - len(report.get("unmatched_examples", [])),
            "unmatched_examples": [
                {
                    **example,
                    "add_site_url": self.add_site_url(
                        request, example["fei_number"], example["country_area"]
                    ),
                }
                for example in report.get("unmatched_examples", [])
            ],
            "progress_url": reverse("admin:partners_regulatorimport_progress", args=[upload.pk]),
            "unmatched_url": reverse("admin:partners_regulatorimport_unmatched_feis"),
        }

    # -- FEIs matching no site --------------------------------------------------------------------

    def unmatched_feis_view(self, request: HttpRequest) -> TemplateResponse:
        """The FEIs that inspections, actions and published 483s name and no site carries,
        for curators to create the site or fix its FEI."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        search = request.GET.get("q", "").strip()
        found = unmatched_feis(search)
        page = Paginator(found, UNMATCHED_FEIS_PER_PAGE).get_page(request.GET.get("p"))
        for entry in page.object_list:
            entry.add_site_url = self.add_site_url(request, entry.fei_number, entry.country_area)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "FEIs matching no site",
            "search": search,
            "count": len(found),
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
        }
        return TemplateResponse(
            request, "admin/partners/regulatorimport/unmatched_feis.html", context
        )

    def add_site_url(self, request: HttpRequest, fei_number: str, country_area: str) -> str:
        """The admin's add-site form with the FEI (and the country, when FDA's name of it is
        recognised) filled in; "" for a user who may not add sites."""
        if not request.user.has_perm("partners.add_site"):
            return ""
        initial = {"fei_number": fei_number}
        if code := country_code(country_area):
            initial["country"] = code
        return f"{reverse('admin:partners_site_add')}?{urlencode(initial)}"
