"""What a stored run costs: its rows hold each site's place and pointers, not the run's sentences
repeated per site (matching/stored_results.py), and read back exactly as the run wrote them."""

import json

import pytest
from django.apps import apps

from matching import runs
from matching.models import Result, Run
from tests.factories import ProviderFactory, RunFactory, SiteCapabilityFactory, SiteFactory
from tests.matching.conftest import mab_site, phase2_mab_brief, store_in_full

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]

ELIGIBLE = 24
EXCLUDED = 24
# Bytes of stored values per site, the run's shared key included: about 1,700 for an eligible
# site and 160 for an excluded one when each row kept its breakdown in JSON and its reason.
ELIGIBLE_BOUND = 250
EXCLUDED_BOUND = 120


def _value_bytes(value) -> int:
    """A stored value's size as its text: strings and JSON as UTF-8, bytes as they are,
    numbers and flags at 8."""
    if value is None:
        return 0
    if isinstance(value, bytes | memoryview):
        return len(bytes(value))
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, list | dict):
        return len(json.dumps(value).encode())
    return 8


def _row_bytes(run: Run, eligible: bool) -> int:
    fields = [field.attname for field in Result._meta.concrete_fields]
    # values_list reads the columns as stored (instances would come expanded).
    return sum(
        _value_bytes(value)
        for row in Result.objects.filter(run=run, eligible=eligible).values_list(*fields)
        for value in row
    )


def _key_bytes(run: Run) -> int:
    try:
        key_model = apps.get_model("matching", "ResultKey")
    except LookupError:  # no key: every row stores its own
        return 0
    return sum(
        _value_bytes(value)
        for row in key_model.objects.filter(run=run).values_list("criteria", "parts", "reasons")
        for value in row
    )


@pytest.fixture
def many_sites():
    """Sites like those of a large catalogue: many alike (a run's parts repeat across them),
    half of them not making the brief's modality."""
    provider = ProviderFactory(name="Biologics Contract Manufacturing Europe")
    for number in range(ELIGIBLE):
        site = mab_site(f"Plant {number:03}", "DE" if number % 2 else "IE", "phase2")
        site.provider = provider
        site.save()
    from partners.models import Term

    small_molecules = Term.objects.get(slug="small-molecule-api")
    for number in range(EXCLUDED):
        site = SiteFactory(name=f"API plant {number:03}", provider=provider, country="IN")
        SiteCapabilityFactory(site=site, term=small_molecules)


def test_a_stored_run_takes_a_few_bytes_per_site_beyond_its_names(helix, many_sites):
    brief = phase2_mab_brief(helix.membership.organisation)
    run = RunFactory(brief=brief)

    assert runs.execute_run(run.pk)

    run.refresh_from_db()
    assert (run.eligible, run.excluded) == (ELIGIBLE, EXCLUDED)
    key = _key_bytes(run)
    per_eligible = (_row_bytes(run, True) + key) / ELIGIBLE
    per_excluded = _row_bytes(run, False) / EXCLUDED
    assert per_eligible < ELIGIBLE_BOUND, per_eligible
    assert per_excluded < EXCLUDED_BOUND, per_excluded


def test_compact_rows_read_as_rows_stored_in_full(helix, many_sites):
    """The page, API, exports and comparison read Result instances: a compact row gives the
    breakdown and reason a row stored in full gives."""
    brief = phase2_mab_brief(helix.membership.organisation)
    run = RunFactory(brief=brief)
    assert runs.execute_run(run.pk)
    fields = ("site_id", "eligible", "rank", "score", "breakdown", "reason", "excluded_by")

    def read() -> list[tuple]:
        return [
            tuple(getattr(result, name) for name in fields)
            for result in Result.objects.filter(run=run).order_by("site_id")
        ]

    compact = read()
    assert all(row[4] and len(row[4]) == len(compact[0][4]) for row in compact if row[1])
    assert all(row[5].startswith("Modality:") for row in compact if not row[1])

    store_in_full(run)

    assert read() == compact


def test_runs_stored_in_full_are_compacted_and_read_the_same(helix, many_sites):
    from django.core.management import call_command

    brief = phase2_mab_brief(helix.membership.organisation)
    run = RunFactory(brief=brief)
    assert runs.execute_run(run.pk)
    read = [
        (r.site_id, r.rank, r.score, r.breakdown, r.reason, r.excluded_by)
        for r in Result.objects.filter(run=run).order_by("site_id")
    ]
    compact = _row_bytes(run, True) + _row_bytes(run, False) + _key_bytes(run)
    store_in_full(run)
    # A run stored before every site kept its sentences stays as it is.
    older = RunFactory(brief=brief)
    Result.objects.create(
        run=older,
        eligible=True,
        rank=1,
        score=50,
        breakdown=[{"criterion": "phase", "sub_score": 1.0, "weight": 3.0}],
    )
    assert _row_bytes(run, True) + _row_bytes(run, False) > 3 * compact

    call_command("compact_results")

    assert [
        (r.site_id, r.rank, r.score, r.breakdown, r.reason, r.excluded_by)
        for r in Result.objects.filter(run=run).order_by("site_id")
    ] == read
    assert _row_bytes(run, True) + _row_bytes(run, False) + _key_bytes(run) == compact
    assert Result.objects.get(run=older).breakdown == [
        {"criterion": "phase", "sub_score": 1.0, "weight": 3.0}
    ]
    assert Result.objects.get(run=older).parts is None
