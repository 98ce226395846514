"""How a run's results are stored: COPY on PostgreSQL, bulk_create elsewhere, the same rows either
way, and all or nothing."""

from unittest import mock

import pytest

from core.choices import JobStatus
from matching import runs
from matching.engine.scoring import explain, score_catalogue
from matching.engine.verdicts import verdict_rows
from matching.index import get_catalogue_index
from matching.models import Brief, Result, Run
from matching.stored_results import KeyWriter
from partners.models import Phase, Term
from tests.factories import (
    OrganisationFactory,
    ProviderFactory,
    RunFactory,
    SiteCapabilityFactory,
    SiteFactory,
)
from tests.matching.conftest import phase2_mab_brief, store_in_full

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_catalogue_index")]

# What COPY's text format escapes or could mistake for a delimiter, a null or a quote.
AWKWARD = "Tab\there, new\nline, CR\r, back\\slash, \\N, \"quoted\", 'single', 100%, Zürich 東京 ✓"


# The columns `result_rows` gives, by their attribute names.
FIELDS = [Result._meta.get_field(name).attname for name in runs.RESULT_FIELDS]


@pytest.fixture
def memberless_brief():
    """The phase 2 mAb brief of conftest's `brief`, but of a Helix without members, so written
    by no one: storing a run's results involves no user."""
    return phase2_mab_brief(OrganisationFactory(name="Helix", slug="helix"))


@pytest.fixture
def catalogue():
    """Eligible sites with awkward names, one failing the phase must-have, one in an excluded
    country, one without the modality; the modality's own label is awkward too, so the stored
    sentences and reasons carry it."""
    mab = Term.objects.get(slug="mab")
    mab.name = f"mAb {AWKWARD}"
    mab.save()
    phase2, phase3 = Phase.objects.get(slug="phase2"), Phase.objects.get(slug="phase3")
    awkward = ProviderFactory(name=f"Provider {AWKWARD}")
    sites = [
        SiteFactory(name=f"Site {AWKWARD}", provider=awkward, country="DE", phases=[phase2]),
        SiteFactory(name="Cork", country="IE", phases=[phase2]),
        SiteFactory(name="", country="FR", phases=[phase2]),
        SiteFactory(name="Basel \\ 3", country="CH", phases=[phase3]),
        SiteFactory(name="Suzhou", country="CN", phases=[phase2]),
    ]
    for site in sites:
        SiteCapabilityFactory(site=site, term=mab, max_volume_l=2000)
    # It makes something else: a site with no modality at all is not profiled, not failing.
    no_mab = SiteFactory(name="No mAb\tat all", country="DE", phases=[phase2])
    SiteCapabilityFactory(site=no_mab, term=Term.objects.get(slug="small-molecule-api"))
    sites.append(no_mab)
    return sites


def _stored(run: Run) -> list[tuple]:
    """The run's rows as read (a compact row's breakdown and reason expanded), with what each
    stores compactly."""
    return [
        (
            r.site_id,
            r.site_name,
            r.provider_name,
            r.eligible,
            r.rank,
            r.score,
            r.breakdown,
            r.reason,
            r.excluded_by,
            None if r.parts is None else bytes(r.parts),
            r.verdicts,
        )
        for r in Result.objects.filter(run=run).order_by("site_id")
    ]


def _new_run(brief: Brief) -> Run:
    return RunFactory(brief=brief)


def test_stored_rows_read_back_as_the_orm_writes_them(memberless_brief, catalogue):
    outcome = score_catalogue(memberless_brief.to_criteria(), get_catalogue_index())
    copied, created = _new_run(memberless_brief), _new_run(memberless_brief)

    copied_key, created_key = KeyWriter(), KeyWriter()
    runs.write_results(runs.result_rows(copied.pk, outcome, copied_key))
    runs.write_key(copied.pk, copied_key)
    Result.objects.bulk_create(
        [
            Result(**dict(zip(FIELDS, row, strict=True)))
            for row in runs.result_rows(created.pk, outcome, created_key)
        ]
    )
    runs.write_key(created.pk, created_key)

    assert _stored(copied) == _stored(created)
    names = {row[1] for row in _stored(copied)}
    assert f"Site {AWKWARD}" in names
    assert "" in names
    assert f"Provider {AWKWARD}" in {row[2] for row in _stored(copied)}


def test_each_eligible_site_stores_its_numbers_and_sentences(memberless_brief, catalogue):
    run = _new_run(memberless_brief)

    assert runs.execute_run(run.pk)

    outcome = score_catalogue(memberless_brief.to_criteria(), get_catalogue_index())
    ranked = list(Result.objects.filter(run=run, eligible=True).order_by("rank"))
    assert [r.site_id for r in ranked] == outcome.eligible_site_ids.tolist()
    assert len(ranked) == 3
    assert ranked[0].site_name == f"Site {AWKWARD}"
    for result in ranked:
        row = outcome.row_of(result.site_id)
        assert result.score == round(float(outcome.scores[row]), 2)
        assert result.breakdown == [
            {
                "criterion": part.criterion,
                "sub_score": round(part.subscore, 4),
                "weight": part.weight,
                "must_have": part.must_have,
                "sentence": part.sentence,
                "verdict": verdict,
            }
            for part, verdict in zip(
                explain(outcome, row), verdict_rows(outcome, [row])[0], strict=True
            )
        ]
        assert all(part["sentence"] for part in result.breakdown)
    assert any(AWKWARD in part["sentence"] for part in ranked[0].breakdown)


def test_excluded_sites_store_their_reason_and_no_breakdown(memberless_brief, catalogue):
    run = _new_run(memberless_brief)

    runs.execute_run(run.pk)

    excluded = {
        r.site_name: r for r in Result.objects.filter(run=run, eligible=False).order_by("site_id")
    }
    assert set(excluded) == {"Basel \\ 3", "Suzhou", "No mAb\tat all"}
    assert excluded["No mAb\tat all"].reason == (
        f"Modality: does not make mAb {AWKWARD}, the brief's modality."
    )
    assert excluded["Suzhou"].reason == "Excluded country: is in China, which the brief excludes."
    assert excluded["Basel \\ 3"].reason.startswith("Must-have Phase:")
    assert {name: r.excluded_by for name, r in excluded.items()} == {
        "Basel \\ 3": "phase",
        "Suzhou": "excluded_countries",
        "No mAb\tat all": "modality",
    }
    assert all((r.rank, r.score, r.breakdown) == (None, None, []) for r in excluded.values())


def test_a_rerun_replaces_the_rows_with_the_same_ones_and_ids_keep_coming(
    memberless_brief, catalogue
):
    run = _new_run(memberless_brief)
    runs.execute_run(run.pk)
    first = _stored(run)
    first_ids = set(Result.objects.filter(run=run).values_list("pk", flat=True))

    Run.objects.filter(pk=run.pk).update(status=JobStatus.QUEUED)
    runs.execute_run(run.pk)

    assert _stored(run) == first
    assert Result.objects.filter(run=run).count() == len(catalogue)
    second_ids = set(Result.objects.filter(run=run).values_list("pk", flat=True))
    assert not first_ids & second_ids
    # The table's id sequence still hands out fresh ids to rows written through the ORM.
    other = Result.objects.create(run=_new_run(memberless_brief), site_name="ORM", eligible=False)
    assert other.pk not in first_ids | second_ids


def test_a_write_that_fails_leaves_the_previous_results_whole(memberless_brief, catalogue):
    run = _new_run(memberless_brief)
    runs.execute_run(run.pk)
    before = _stored(run)
    result_rows = runs.result_rows

    def one_site_twice(run_id, outcome, key):
        rows = list(result_rows(run_id, outcome, key))
        return rows + rows[-1:]

    Run.objects.filter(pk=run.pk).update(status=JobStatus.QUEUED)
    with mock.patch.object(runs, "result_rows", one_site_twice):
        assert runs.execute_run(run.pk)

    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert "IntegrityError" in run.error
    assert _stored(run) == before


def test_a_run_of_an_empty_catalogue_stores_nothing_and_is_done(memberless_brief):
    run = _new_run(memberless_brief)

    assert runs.execute_run(run.pk)

    run.refresh_from_db()
    assert (run.status, run.sites_scored, run.eligible) == (JobStatus.DONE, 0, 0)
    assert not Result.objects.filter(run=run).exists()


def test_runs_stored_before_excluded_by_get_it_from_their_reasons(memberless_brief, catalogue):
    from importlib import import_module

    from django.apps import apps

    run = _new_run(memberless_brief)
    assert runs.execute_run(run.pk)
    expected = dict(
        Result.objects.filter(run=run, eligible=False).values_list("site_id", "excluded_by")
    )
    assert expected
    assert all(expected.values())
    store_in_full(run)
    Result.objects.filter(run=run).update(excluded_by="")

    import_module("matching.migrations.0004_backfill_result_excluded_by").backfill(apps, None)

    assert (
        dict(Result.objects.filter(run=run, eligible=False).values_list("site_id", "excluded_by"))
        == expected
    )
    assert set(
        Result.objects.filter(run=run, eligible=True).values_list("excluded_by", flat=True)
    ) == {""}


def test_on_postgresql_the_rows_are_written_with_copy(memberless_brief, catalogue):
    from unittest import mock

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's; CI runs this suite on PostgreSQL")
    run = _new_run(memberless_brief)
    with mock.patch.object(
        type(Result.objects), "bulk_create", side_effect=AssertionError("not COPY")
    ):
        assert runs.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == "done", run.error
    assert Result.objects.filter(run=run).count() == run.sites_scored == len(catalogue)


def test_a_site_deleted_while_the_run_scores_it_is_stored_unlinked(memberless_brief, catalogue):
    from unittest import mock

    run = _new_run(memberless_brief)
    doomed = catalogue[0]
    write = runs.write_results

    def delete_then_write(rows):
        rows = list(rows)
        doomed_id = doomed.pk
        doomed.delete()
        assert any(row[1] == doomed_id for row in rows)
        write(rows)

    with mock.patch.object(runs, "write_results", side_effect=delete_then_write):
        assert runs.execute_run(run.pk)

    run.refresh_from_db()
    assert run.status == "done", run.error
    orphan = Result.objects.get(run=run, site_name=doomed.name)
    assert orphan.site_id is None
    assert Result.objects.filter(run=run, site__isnull=False).count() == run.sites_scored - 1
