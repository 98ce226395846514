"""The directory's filters: one FilterSet for the HTML directory and `/api/providers/`.

A parameter may repeat: its values are ORed; different parameters are ANDed. Filters are of
two kinds:

- provider filters (`q`, `kind`, `verified`) look at the provider itself;
- site filters (everything about capabilities, phases, places, certificates, inspections,
  containment, scale, DEA schedules) must all hold for one and the same site: a provider is
  listed when at least one of its sites satisfies every active site filter together.

`provider_conditions` and `site_conditions` build those conditions and can leave one
parameter out, which is how the facet counts (partners/directory/facets.py) count each facet over
the list filtered by every other active filter.

What the directory lists at all (`scope`): by default contract manufacturers (providers of
kind CMO or CDMO); `scope=registered` lists instead every establishment registered with FDA (a
site of FDA's registration file, `registered_establishment`), whatever its provider's kind. Sites
registered only for an ancillary trade (medical gases, medicated animal feed, packing or
labelling, testing: `Site.ancillary_only`) are hidden in both unless `include_ancillary=true`;
hiding them never hides a provider with no site on record.

The search `q` (partners/directory/search.py) is a provider filter: a provider matches when
each word of the query is found in it or in any of its sites. With a query, the list is
ordered by relevance unless another order is chosen; without one, "Relevance" means by name.
"""

import copy
import datetime
import functools

import django_filters
from django import forms
from django.db.models import Count, Exists, F, Max, Min, OrderBy, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator, normalize_choices
from django_countries import countries

from partners.catalogue_version import CatalogueCache
from partners.choices import (
    CONTRACT_KINDS,
    DEA_SCHEDULES,
    NOT_CLEAN_ACTIONS,
    PHASES,
    Authority,
    CertificationKind,
    Classification,
    DataSource,
    ProviderKind,
    Region,
    TermKind,
    VerificationStatus,
)
from partners.directory.search import provider_relevance, provider_search_condition
from partners.models import (
    Certification,
    Inspection,
    Provider,
    RegulatoryAction,
    Site,
    SiteCapability,
    Term,
)
from partners.regions import REGION_HELP, countries_in

# The vocabulary filters: parameter name -> kind of term.
TERM_FILTERS = {
    "modality": TermKind.MODALITY,
    "dosage_form": TermKind.DOSAGE_FORM,
    "service": TermKind.SERVICE,
    "technology": TermKind.TECHNOLOGY,
}
PROVIDER_FILTERS = ("q", "kind", "verified")
# What the directory lists (module docstring): its default, and the wider choice.
SCOPE_CONTRACT = "contract"
SCOPE_REGISTERED = "registered"
SCOPES = [
    (SCOPE_CONTRACT, "Contract manufacturers"),
    (SCOPE_REGISTERED, "All FDA-registered establishments"),
]
INCLUDE_ANCILLARY_LABEL = (
    "Include medical-gas, animal-feed, packing and labelling, and testing-only sites"
)
SITE_FILTERS = (
    *TERM_FILTERS,
    "phase",
    "country",
    "region",
    "certification",
    "inspected_by",
    "clean_since",
    "min_batch_kg",
    "min_volume_l",
    "max_oel",
    "dea_schedule",
)

ORDERINGS: dict[str, tuple[str, list[str | OrderBy]]] = {
    # Offered only with a search query, and then the default (see ProviderFilterSet.__init__).
    "relevance": ("Relevance (best match first)", [F("search_rank").desc(), "name", "slug"]),
    "name": ("Name (A to Z)", ["name", "slug"]),
    "-name": ("Name (Z to A)", ["-name", "-slug"]),
    "country": ("Headquarters country", ["country", "name", "slug"]),
    "-compliance": ("Best compliance record", [F("best_compliance").desc(nulls_last=True), "name"]),
    "compliance": (
        "Worst compliance record",
        [F("worst_compliance").asc(nulls_last=True), "name", "slug"],
    ),
    "-inspected": (
        "Most recent inspection",
        [F("last_inspected").desc(nulls_last=True), "name", "slug"],
    ),
    "-sites": ("Most sites", ["-site_count", "name", "slug"]),
}
RELEVANCE = "relevance"


def _vocabulary() -> dict[str, list[tuple[str, str]]]:
    """Every term's (slug, name) by kind, in name order."""
    terms: dict[str, list[tuple[str, str]]] = {}
    for kind, slug, name in Term.objects.order_by("name", "slug").values_list(
        "kind", "slug", "name"
    ):
        terms.setdefault(kind, []).append((slug, name))
    return terms


# Kept per process until the catalogue changes (curators may add terms).
_VOCABULARY = CatalogueCache(lambda version, today: _vocabulary())


def _choices_of(kind: str) -> list[tuple[str, str]]:
    return _VOCABULARY.get().get(kind, [])


def _term_choices(kind: str):
    """Choices read from the vocabulary table when the form is built (curators may add terms)."""

    def choices() -> list[tuple[str, str]]:
        return list(Term.objects.filter(kind=kind).order_by("name").values_list("slug", "name"))

    return choices


def _noop(queryset: QuerySet, name: str, value) -> QuerySet:
    # Filtering is done as a whole in ProviderFilterSet.filter_queryset.
    return queryset


class FixedChoices(BaseChoiceIterator):
    """Choices that do not change while the process runs (countries, regions, the enums),
    normalized once and shared by every copy of the filter, its field and its widget.

    A filterset copies its filters, and a form its fields, for each request: copied as lists,
    the 250 countries and the other choices were most of the cost of reading the directory's
    filters. Shared, they are never copied; nothing changes them in place.
    """

    def __init__(self, choices) -> None:
        self.choices = tuple(normalize_choices(choices))

    def __iter__(self):
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)

    def __copy__(self) -> "FixedChoices":
        return self

    def __deepcopy__(self, memo) -> "FixedChoices":
        return self


class UpperCaseMultipleChoiceField(forms.MultipleChoiceField):
    """Country codes are matched whatever their case (`de` is `DE`)."""

    def to_python(self, value):
        return [str(v).strip().upper() for v in super().to_python(value)]


class TrueFalseCheckbox(forms.CheckboxInput):
    """A checkbox that hands over the raw value (CheckboxInput reads any unknown text as
    ticked) and shows itself ticked for a true one only, as VerifiedField reads them."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, check_test=lambda value: str(value).lower() in VerifiedField.TRUE)

    def format_value(self, value):
        return "true"

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class VerifiedField(forms.NullBooleanField):
    """true: verified providers; false: unverified ones; absent (an unticked box): any.

    Anything else is an error rather than a guess.
    """

    TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
    widget = TrueFalseCheckbox

    def to_python(self, value):
        if value in (None, "") or isinstance(value, bool):
            return value if isinstance(value, bool) else None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Enter true or false.", code="invalid")

    def validate(self, value) -> None:
        pass


class CountryFilter(django_filters.MultipleChoiceFilter):
    field_class = UpperCaseMultipleChoiceField


class ProviderFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method=_noop, max_length=200)
    scope = django_filters.ChoiceFilter(
        label="Show",
        choices=FixedChoices(SCOPES),
        method=_noop,
        empty_label=None,
        help_text="Contract manufacturers (CMOs and CDMOs) by default, or every establishment "
        "in FDA's drug establishment registrations.",
    )
    include_ancillary = django_filters.BooleanFilter(
        label=INCLUDE_ANCILLARY_LABEL, method=_noop, widget=forms.CheckboxInput
    )
    kind = django_filters.MultipleChoiceFilter(
        label="Provider type", choices=FixedChoices(ProviderKind.choices), method=_noop
    )
    modality = django_filters.MultipleChoiceFilter(
        label="Modality", choices=_term_choices(TermKind.MODALITY), method=_noop
    )
    dosage_form = django_filters.MultipleChoiceFilter(
        label="Dosage form", choices=_term_choices(TermKind.DOSAGE_FORM), method=_noop
    )
    service = django_filters.MultipleChoiceFilter(
        label="Service", choices=_term_choices(TermKind.SERVICE), method=_noop
    )
    technology = django_filters.MultipleChoiceFilter(
        label="Technology", choices=_term_choices(TermKind.TECHNOLOGY), method=_noop
    )
    phase = django_filters.MultipleChoiceFilter(
        label="Phase", choices=FixedChoices(PHASES), method=_noop
    )
    country = CountryFilter(label="Site country", choices=FixedChoices(countries), method=_noop)
    region = django_filters.MultipleChoiceFilter(
        label="Region", choices=FixedChoices(Region.choices), method=_noop, help_text=REGION_HELP
    )
    certification = django_filters.MultipleChoiceFilter(
        label="Valid certification", choices=FixedChoices(CertificationKind.choices), method=_noop
    )
    inspected_by = django_filters.MultipleChoiceFilter(
        label="Inspected by", choices=FixedChoices(Authority.choices), method=_noop
    )
    clean_since = django_filters.DateFilter(
        label="Clean record since",
        method=_noop,
        help_text=(
            "No OAI inspection, warning letter, import alert or EU non-compliance since. "
            "Sites never inspected pass too: add “Inspected by” to require an inspection."
        ),
    )
    min_batch_kg = django_filters.NumberFilter(label="Batch of at least (kg)", method=_noop)
    min_volume_l = django_filters.NumberFilter(label="Volume of at least (L)", method=_noop)
    max_oel = django_filters.NumberFilter(
        label="Contains an OEL of (µg/m³)",
        method=_noop,
        help_text="Sites that have demonstrated containment at or below this exposure limit.",
    )
    dea_schedule = django_filters.MultipleChoiceFilter(
        label="DEA schedule", choices=FixedChoices(DEA_SCHEDULES), method=_noop
    )
    verified = django_filters.BooleanFilter(
        label="Verified by a curator",
        method=_noop,
        widget=forms.CheckboxInput,
    )
    ordering = django_filters.ChoiceFilter(
        label="Sort by",
        choices=FixedChoices([(key, label) for key, (label, _) in ORDERINGS.items()]),
        method=_noop,
        empty_label=None,
    )

    class Meta:
        model = Provider
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        searching = bool(data and str(data.get("q") or "").strip())
        if data is not None and (
            (searching and not data.get("ordering"))
            or (not searching and data.get("ordering") == RELEVANCE)
        ):
            # A search is shown best match first unless the user picked another order; without
            # a query, relevance (say, left chosen after clearing the box) means the default.
            data = data.copy()
            if searching:
                data["ordering"] = RELEVANCE
            else:
                data.pop("ordering")
        super().__init__(data, *args, **kwargs)
        for name in ("min_batch_kg", "min_volume_l", "max_oel"):
            field = self.form.fields[name]
            field.validators.append(_positive)
            field.widget.attrs.update({"min": "0", "step": "any", "inputmode": "decimal"})
        self.form.fields["clean_since"].widget = forms.DateInput(attrs={"type": "date"})
        self.form.fields["verified"] = VerifiedField(label="Verified by a curator", required=False)
        self.form.fields["include_ancillary"] = VerifiedField(
            label=INCLUDE_ANCILLARY_LABEL, required=False
        )
        self.form.fields["scope"].required = False
        self.form.fields["ordering"].required = False
        # The vocabulary's choices, read in one query for every kind and kept until the
        # catalogue changes. Read only when asked for: an API list without such a filter never
        # needs them.
        for name, kind in TERM_FILTERS.items():
            self.form.fields[name].choices = functools.partial(_choices_of, kind)
        if not searching:
            self.form.fields["ordering"].choices = [
                (key, label)
                for key, label in self.form.fields["ordering"].choices
                if key != RELEVANCE
            ]

    @classmethod
    def form_class(cls) -> type[forms.Form]:
        """The form's class, built once per process: its fields are the filters' own, and a
        form copies its class's fields anyway (what a request changes, `__init__` changes on
        its copies). Building it anew for each request was a third of reading the filters."""
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            filters = copy.deepcopy(cls.base_filters)
            fields = {name: filter_.field for name, filter_ in filters.items()}
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            cls._form_class = form_class
        return form_class

    def get_form_class(self) -> type[forms.Form]:
        return self.form_class()

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        data = self.form.cleaned_data
        queryset = queryset.filter(*provider_conditions(data))
        sites = matching_sites(data)
        if sites is not None:
            owns = Q(Exists(sites.filter(provider=OuterRef("pk"))))
            if not site_conditions(data, exclude=INCLUDE_ANCILLARY):
                # Only ancillary sites are hidden: a provider with no site at all stays.
                owns |= ~Q(Exists(Site.objects.filter(provider=OuterRef("pk"))))
            queryset = queryset.filter(owns)
        return order_providers(queryset, data.get("ordering") or "name", data.get("q") or "")

    @property
    def active(self) -> dict:
        """The cleaned filters that are set (for chips, facets and "clear" links)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {
            name: value
            for name, value in self.form.cleaned_data.items()
            if name != "ordering" and value not in (None, "", []) and not is_default(name, value)
        }


SCOPE = "scope"
INCLUDE_ANCILLARY = "include_ancillary"


def is_default(name: str, value) -> bool:
    """Whether a parameter's value is what the directory does without it (no chip, no count
    of active filters)."""
    return (name == SCOPE and value == SCOPE_CONTRACT) or (name == INCLUDE_ANCILLARY and not value)


def scope_of(data: dict) -> str:
    return data.get(SCOPE) or SCOPE_CONTRACT


def registered_establishment() -> Q:
    """A site of FDA's drug establishment registrations: imported from them, or a site the
    import matched (it then carries the establishment's DUNS number, FDA's key for it)."""
    return Q(source=DataSource.FDA_REGISTRATION) | ~Q(duns_number="")


def _positive(value) -> None:
    if value is not None and value <= 0:
        raise forms.ValidationError("Enter a number greater than zero.")


def provider_conditions(data: dict, exclude: str | None = None) -> list[Q]:
    """Conditions on the provider itself, leaving out the parameter `exclude`."""
    conditions = []
    if data.get("q") and exclude != "q":
        conditions.append(_search(data["q"]))
    if scope_of(data) == SCOPE_CONTRACT and exclude != SCOPE:
        conditions.append(Q(kind__in=CONTRACT_KINDS))
    if data.get("kind") and exclude != "kind":
        conditions.append(Q(kind__in=data["kind"]))
    if data.get("verified") is not None and exclude != "verified":
        verified = Q(verification_status=VerificationStatus.VERIFIED)
        conditions.append(verified if data["verified"] else ~verified)
    return conditions


def _search(text: str) -> Q:
    """Providers found by the directory search, in themselves or any of their sites."""
    return provider_search_condition(text)


def site_conditions(
    data: dict, exclude: str | None = None, today: datetime.date | None = None
) -> list[Q | Exists]:
    """Conditions on one site, leaving out the parameter `exclude`."""
    today = today or timezone.localdate()
    conditions: list[Q | Exists] = []

    def wanted(name: str):
        return data.get(name) if name != exclude else None

    if scope_of(data) == SCOPE_REGISTERED and exclude != SCOPE:
        conditions.append(registered_establishment())
    if not data.get(INCLUDE_ANCILLARY) and exclude != INCLUDE_ANCILLARY:
        conditions.append(Q(ancillary_only=False))

    for name, kind in TERM_FILTERS.items():
        if slugs := wanted(name):
            conditions.append(
                Exists(
                    SiteCapability.objects.filter(
                        site=OuterRef("pk"), term__kind=kind, term__slug__in=slugs
                    )
                )
            )
    if phases := wanted("phase"):
        conditions.append(
            Exists(Site.phases.through.objects.filter(site=OuterRef("pk"), phase__in=phases))
        )
    if codes := wanted("country"):
        conditions.append(Q(country__in=codes))
    if regions := wanted("region"):
        conditions.append(Q(country__in=set().union(*(countries_in(r) for r in regions))))
    if kinds := wanted("certification"):
        valid = Certification.objects.valid_on(today).filter(site=OuterRef("pk"), kind__in=kinds)
        conditions.append(Exists(valid))
    if authorities := wanted("inspected_by"):
        inspections = Inspection.objects.filter(site=OuterRef("pk"), authority__in=authorities)
        conditions.append(Exists(inspections))
    if since := wanted("clean_since"):
        oai = Inspection.objects.filter(
            site=OuterRef("pk"), classification=Classification.OAI, end_date__gte=since
        )
        adverse = RegulatoryAction.objects.filter(
            site=OuterRef("pk"), action_type__in=NOT_CLEAN_ACTIONS, action_date__gte=since
        )
        conditions.append(~Exists(oai) & ~Exists(adverse))
    if (kg := wanted("min_batch_kg")) is not None:
        conditions.append(
            Exists(SiteCapability.objects.filter(site=OuterRef("pk"), max_batch_kg__gte=kg))
        )
    if (litres := wanted("min_volume_l")) is not None:
        conditions.append(
            Exists(SiteCapability.objects.filter(site=OuterRef("pk"), max_volume_l__gte=litres))
        )
    if (oel := wanted("max_oel")) is not None:
        conditions.append(Q(oel_ug_m3__lte=oel))
    if schedules := wanted("dea_schedule"):
        conditions.append(
            Exists(
                Site.dea_schedules.through.objects.filter(
                    site=OuterRef("pk"), deaschedule__in=schedules
                )
            )
        )
    return conditions


def matching_sites(data: dict, exclude: str | None = None) -> QuerySet | None:
    """Sites meeting every active site filter (but `exclude`), or None when none is active."""
    conditions = site_conditions(data, exclude)
    if not conditions:
        return None
    return Site.objects.filter(*conditions)


def order_providers(queryset: QuerySet, ordering: str, text: str = "") -> QuerySet:
    """Order by one of ORDERINGS; `text` is the search query, for "relevance"."""
    if ordering == RELEVANCE and not text.strip():
        ordering = "name"
    if ordering == RELEVANCE:
        queryset = queryset.annotate(search_rank=provider_relevance(text))
    elif ordering == "-sites":
        queryset = queryset.annotate(site_count=Count("sites"))
    elif ordering == "-compliance":
        queryset = queryset.annotate(best_compliance=Max("sites__compliance_score"))
    elif ordering == "compliance":
        queryset = queryset.annotate(worst_compliance=Min("sites__compliance_score"))
    elif ordering == "-inspected":
        queryset = queryset.annotate(last_inspected=Max("sites__inspections__end_date"))
    return queryset.order_by(*ORDERINGS[ordering][1])
