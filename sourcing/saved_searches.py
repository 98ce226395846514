"""Saved directory searches, watched for new sites ("new sites matching these filters").

A user saves the directory's query string; it is kept normalised (`normalise_query`): the
directory's filter parameters only, blank values dropped, sorted, so that the same filters in
another order, on another page, under another sort or in the other view are one search.

What "a site matching" means: a site the directory's site view (`?view=sites`) lists for the
query, found by the directory's own code (`partners.directory.sites.directory_sites` over
`ProviderFilterSet`): a site meeting every site filter together (capabilities, phase, place,
certificates valid today, record, scale, containment, DEA schedule), of a provider meeting the
provider filters (kind, verification, scope), and, with a search text, found by that text
itself (its name, city, identifiers or capabilities, or its provider's name or description).
Those are the sites the provider view shows behind each provider it lists for the query.

Watching (`check_saved_searches`, every five minutes on Celery): the sites matching at saving
are known; a later check that finds sites matching beyond the known ones raises one alert for
the search, however many they are, to its owner, then the known sites become those matching
now. A site that stops matching drops out of the known set, so one that matches again (its
certificate renewed, a capability restored) is news again; the known set stays as large as the
list, never growing with every site that ever matched.

A check is skipped when nothing it reads changed: the catalogue version it last read and the day
(certificate validity moves with the day), so a sweep over a quiet catalogue is two queries: the
version and the searches due.
"""

import contextlib
import datetime
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import dateformat, timezone
from django_countries import countries

from partners.catalogue_version import one_catalogue_version
from partners.directory.search import among
from partners.directory.sites import directory_sites
from partners.filtersets import ProviderFilterSet
from partners.models import Provider, Site
from sourcing.choices import AlertKind
from sourcing.models import SavedSearch
from sourcing.watching.alerts import AlertSpec, raise_alert

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH: int = SavedSearch._meta.get_field("name").max_length or 200
QUERY_MAX_LENGTH: int = SavedSearch._meta.get_field("query").max_length or 2000
# An alert lists this many of the new sites; its title gives their number and its link the rest.
ALERT_SITES_SHOWN = 20
# The summary a search is named by unless its user names it: this many filters, then "and N more".
SUMMARY_PARTS = 5
# Parameters the directory reads that are not filters: how the list is shown, not what it holds.
NOT_FILTERS = frozenset({"ordering"})
# The thresholds as a summary names them: what is compared, how, and the unit.
THRESHOLDS = {
    "min_batch_kg": ("batch ≥", "kg"),
    "min_volume_l": ("volume ≥", "L"),
    "max_oel": ("OEL ≤", "µg/m³"),
}


class InvalidSearch(ValueError):
    """A query the directory's filters refuse (an unknown term, a malformed number)."""


class AlreadySaved(Exception):
    """The user saved this search already (`search`)."""

    def __init__(self, search: SavedSearch) -> None:
        super().__init__(f"This search is saved already, as “{search.name}”.")
        self.search = search


def filter_names() -> list[str]:
    """The directory's filter parameters, in the form's order."""
    return [name for name in ProviderFilterSet.base_filters if name not in NOT_FILTERS]


def normalise_query(params: QueryDict | str) -> str:
    """The query string of a directory search as it is saved: the filter parameters alone (no
    page, sort order, view or anything else a URL may carry), each value stripped, blank ones
    dropped, sorted by parameter then value."""
    if isinstance(params, str):
        params = QueryDict(params.lstrip("?"))
    names = set(filter_names())
    pairs = sorted(
        (name, value.strip())
        for name, values in params.lists()
        if name in names
        for value in values
        if value.strip()
    )
    normalised = QueryDict(mutable=True)
    for name, value in pairs:
        normalised.appendlist(name, value)
    return normalised.urlencode()


def _filterset(query: str) -> ProviderFilterSet:
    return ProviderFilterSet(QueryDict(query), queryset=Provider.objects.all())


def _refusal(filterset: ProviderFilterSet) -> str:
    return "; ".join(
        f"{filterset.form[name].label}: {' '.join(errors)}"
        for name, errors in filterset.form.errors.items()
    )


def refusal(query: str) -> str:
    """Why the directory's filters refuse the query, or "" when they take it."""
    filterset = _filterset(query)
    return "" if filterset.is_valid() else _refusal(filterset)


def matching_site_ids(query: str) -> set[int]:
    """The ids of the sites matching the directory search `query` (the module's docstring says
    what matching means), found by the directory's own filters in one query (and, when the
    catalogue changed, the directory's facet index built once for every search). Raises
    InvalidSearch for a query the filters refuse."""
    filterset = _filterset(query)
    if not filterset.is_valid():
        raise InvalidSearch(_refusal(filterset))
    return set(directory_sites(filterset).order_by().values_list("pk", flat=True))


def _value_label(name: str, value, labels: dict[str, str]) -> str:
    if name == "q":
        return f"“{value.strip()}”"
    if name == "verified":
        return "verified" if value else "not verified"
    if name == "include_ancillary":
        return "ancillary sites included"
    if name == "clean_since":
        return f"clean since {dateformat.format(value, 'j M Y')}"
    if name == "scope":
        return labels.get(value, value)
    if name in THRESHOLDS:
        compared, unit = THRESHOLDS[name]
        return f"{compared} {format(Decimal(str(value)).normalize(), ',f')} {unit}"
    return labels.get(str(value), str(value))


def describe_query(query: str) -> str:
    """A readable summary of a search's filters, "Monoclonal antibody · Sterile injectable ·
    Europe": what a search is named unless its user names it."""
    filterset = _filterset(query)
    if not filterset.is_valid():
        return "Directory search"
    active = filterset.active
    parts: list[str] = []
    for name in filter_names():
        if name not in active:
            continue
        field = filterset.form.fields[name]
        labels = {str(key): str(label) for key, label in getattr(field, "choices", [])}
        values = active[name] if isinstance(active[name], list) else [active[name]]
        parts.extend(_value_label(name, value, labels) for value in values)
    if not parts:
        return "All contract manufacturers"
    shown = " · ".join(parts[:SUMMARY_PARTS])
    more = len(parts) - SUMMARY_PARTS
    summary = f"{shown} and {more} more" if more > 0 else shown
    return summary[:NAME_MAX_LENGTH]


def searches_of(user) -> QuerySet[SavedSearch]:
    """A user's own saved searches: every page and action starts here, so another user's is a
    404."""
    return SavedSearch.objects.filter(user=user)


def saved_as(user, query: str) -> SavedSearch | None:
    """The user's saved search of this (normalised) query, if they saved it."""
    return searches_of(user).filter(query=query).first()


def save_search(user, params: QueryDict | str, name: str = "", watched: bool = True) -> SavedSearch:
    """Save a directory search for the user, with the sites matching now known (only sites that
    match later are new). Raises a ValidationError keyed by field: `query` when the filters are
    refused or too long, `name` when it is too long or names another of the user's searches.
    Saving a query the user saved already raises AlreadySaved."""
    query = normalise_query(params)
    if len(query) > QUERY_MAX_LENGTH:
        raise ValidationError(
            {
                "query": f"These filters are too many to save (at most {QUERY_MAX_LENGTH} "
                "characters)."
            }
        )
    existing = saved_as(user, query)
    if existing is not None:
        raise AlreadySaved(existing)
    name = " ".join(name.split()) or describe_query(query)
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": f"Keep it to {NAME_MAX_LENGTH} characters (this one has {len(name)})."}
        )
    if searches_of(user).filter(name__iexact=name).exists():
        raise ValidationError(
            {"name": f"You have a saved search named “{name}” already: choose another name."}
        )
    with one_catalogue_version() as version:
        try:
            known = matching_site_ids(query)
        except InvalidSearch as refused:
            raise ValidationError(
                {"query": f"These filters cannot be saved as they stand ({refused})."}
            ) from None
    try:
        with transaction.atomic():
            return SavedSearch.objects.create(
                user=user,
                name=name,
                query=query,
                watched=watched,
                known_site_ids=sorted(known),
                checked_at=timezone.now(),
                catalogue_version=version,
            )
    except IntegrityError:  # saved by another request of the user's in the meantime
        existing = saved_as(user, query)
        if existing is None:
            raise
        raise AlreadySaved(existing) from None


def set_watched(search: SavedSearch, watched: bool) -> None:
    """Watch the search, or stop. Watching again starts afresh: the sites matching now are known,
    so the sites that appeared while it was not watched are not told at once as new."""
    if watched == search.watched:
        return
    search.watched = watched
    fields = ["watched", "updated_at"]
    if watched:
        with one_catalogue_version() as version:
            # Filters that no longer apply keep their known sites: the check says nothing of
            # such a search until they apply again.
            with contextlib.suppress(InvalidSearch):
                search.known_site_ids = sorted(matching_site_ids(search.query))
            search.catalogue_version = version
            search.checked_at = timezone.now()
        fields += ["known_site_ids", "catalogue_version", "checked_at"]
    search.save(update_fields=fields)


@dataclass(frozen=True)
class CheckOutcome:
    """What one search's check found: the sites new to it (none when it was skipped)."""

    search_id: int
    new_site_ids: tuple[int, ...] = ()
    checked: bool = True


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def due_searches(version: str, now: datetime.datetime) -> QuerySet[SavedSearch]:
    """The watched searches not yet checked against this catalogue version today."""
    checked_today = Q(catalogue_version=version, checked_at__gte=_start_of(timezone.localdate(now)))
    searches = SavedSearch.objects.filter(watched=True).exclude(checked_today).order_by("pk")
    # Only what the claim needs: each search is read whole once it is claimed.
    return searches.only("pk", "checked_at")


def check_saved_searches(now: datetime.datetime | None = None) -> int:
    """Check every watched search whose catalogue or day changed since its last check: its new
    sites (matching now, not known) raise one alert to its owner, then the sites matching now
    become its known ones. Returns how many searches had new sites.

    Safe to run twice at once, or twice over: a search is claimed by a conditional update of
    its `checked_at` (a second worker that read the same value claims nothing), its finding is
    stored and told in one transaction, only by the check whose claim still stands
    (`check_search`), and the alert's key names the search, its new sites and the check that
    found them, so the same finding is one alert however many times it is made.
    """
    now = now or timezone.now()
    found = 0
    with one_catalogue_version() as version:
        for search in due_searches(version, now):
            outcome = check_search(search, version, now)
            found += bool(outcome.new_site_ids)
    return found


def check_search(search: SavedSearch, version: str, now: datetime.datetime) -> CheckOutcome:
    """One search's check (`check_saved_searches`).

    Claimed first, by moving its `checked_at` from the value read to `now`; then read again, so
    that what a check that finished meanwhile stored is seen; then its finding is stored only if
    the claim is still ours (no later check took it over), and told in the same transaction, so
    that of two checks of one search at most one tells, and a check that fails tells nothing.
    """
    seen = search.checked_at
    claim = SavedSearch.objects.filter(pk=search.pk, watched=True)
    claim = claim.filter(checked_at=seen) if seen is not None else claim.filter(checked_at=None)
    if not claim.update(checked_at=now):
        return CheckOutcome(search.pk, checked=False)  # another check has it, or it went
    fresh = SavedSearch.objects.filter(pk=search.pk).first()
    if fresh is None:
        return CheckOutcome(search_id=0, checked=False)
    search = fresh
    # Still claimed by this check, and still watched (a search unwatched meanwhile tells nothing).
    ours = SavedSearch.objects.filter(pk=search.pk, checked_at=now, watched=True)
    try:
        matching = matching_site_ids(search.query)
    except InvalidSearch as refused:
        # A term its filters name was withdrawn: nothing matches as it stands, and nothing is
        # told; its known sites are kept for when the filters apply again.
        logger.info("Saved search %s is not checked: %s", search.pk, refused)
        ours.update(catalogue_version=version)
        return CheckOutcome(search.pk)
    new = sorted(matching - set(search.known_site_ids))
    with transaction.atomic():
        stored = ours.update(known_site_ids=sorted(matching), catalogue_version=version)
        if not stored:
            return CheckOutcome(search.pk, checked=False)  # a later check took it over
        if new:
            spec = alert_of(search, new, found_by=seen, on=timezone.localdate(now))
            raise_alert(spec, [search.user_id])
    return CheckOutcome(search.pk, tuple(new))


def alert_of(
    search: SavedSearch,
    new_site_ids: list[int],
    found_by: datetime.datetime | None,
    on: datetime.date,
) -> AlertSpec:
    """The alert telling a search's owner of its new sites: their number, the first
    ALERT_SITES_SHOWN of them by provider and site name (each linked to its profile), and the
    directory listing them all.

    Keyed by the search, its new sites and the check that found them (named by the previous
    check's time, which its claim moved on from): the same finding is one alert, and a site that
    left the list and came back is told again."""
    ids = ",".join(map(str, sorted(new_site_ids)))
    since = found_by.isoformat() if found_by is not None else ""
    digest = hashlib.sha256(f"{since}|{ids}".encode()).hexdigest()[:32]
    shown = (
        Site.objects.filter(among(tuple(new_site_ids)))
        .select_related("provider")
        .order_by("provider__name", "name", "pk")[:ALERT_SITES_SHOWN]
    )
    items = [
        {
            "text": f"{site.provider.name} — {site.name}, {countries.name(site.country)}",
            "url": f"{reverse('partners:provider', args=[site.provider.slug])}#site-{site.pk}",
        }
        for site in shown
    ]
    count = len(new_site_ids)
    verb = "match" if count != 1 else "matches"
    return AlertSpec(
        key=f"search:{search.pk}:{digest}",
        kind=AlertKind.SAVED_SEARCH,
        title=f"{count} new site{'s' if count != 1 else ''} {verb} “{search.name}”",
        items=items,
        url=search.get_absolute_url(),
        occurred_on=on,
        saved_search_id=search.pk,
    )


def matching_now(search: SavedSearch) -> int:
    """How many sites matched the search at its last check (or its saving)."""
    return len(search.known_site_ids or [])
