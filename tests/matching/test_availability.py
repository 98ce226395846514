"""The availability criterion: a site with capacity free by the brief's needed-by date scores 1,
later it loses 1/365 a day down to 0 a year late, unknown scores 0.5; without a needed-by date
the criterion is not asked (weight ignored, sub-score 1, like every unstated criterion)."""

import datetime

import numpy as np
import pytest
from django.urls import reverse

from matching.engine.criteria import CRITERIA, BriefCriteria, default_weights
from matching.engine.scoring import (
    AVAILABILITY_LATE_DAYS,
    NEUTRAL,
    explain,
    requirement,
    score_catalogue,
)
from matching.index import build_catalogue_index
from matching.models import Brief
from tests.factories import BriefFactory, SiteFactory
from tests.matching.test_engine import make_index, site

NEEDED_BY = datetime.date(2027, 3, 1)
COLUMN = CRITERIA.index("availability")


def _brief(**changes) -> BriefCriteria:
    values = {"modality": "small-molecule-api", "needed_by": NEEDED_BY, **changes}
    return BriefCriteria(**values)


def _index():
    return make_index(
        site(1, available_from=NEEDED_BY - datetime.timedelta(days=30)),  # in time
        site(2, available_from=NEEDED_BY),  # on the day
        site(3, available_from=NEEDED_BY + datetime.timedelta(days=73)),  # 73 days late
        site(4, available_from=NEEDED_BY + datetime.timedelta(days=400)),  # over a year late
        site(5),  # does not say
    )


def test_availability_is_a_criterion_with_the_default_weight():
    assert "availability" in CRITERIA
    assert default_weights()["availability"] == 3


def test_in_time_scores_1_late_loses_on_a_fixed_scale_and_unknown_is_neutral():
    outcome = score_catalogue(_brief(), _index())

    assert AVAILABILITY_LATE_DAYS == 365
    assert outcome.subscores[:, COLUMN].tolist() == pytest.approx(
        [1.0, 1.0, 1 - 73 / 365, 0.0, NEUTRAL]
    )


def test_the_scale_does_not_depend_on_the_other_sites():
    alone = score_catalogue(
        _brief(), make_index(site(3, available_from=NEEDED_BY + datetime.timedelta(days=73)))
    )

    assert alone.subscores[0, COLUMN] == pytest.approx(1 - 73 / 365)


def test_without_a_needed_by_date_the_criterion_is_not_asked():
    outcome = score_catalogue(_brief(needed_by=None), _index())

    assert outcome.subscores[:, COLUMN].tolist() == [1.0] * 5
    assert outcome.weights[COLUMN] == 0
    assert explain(outcome, 0)[COLUMN].sentence == "Not asked."


def test_a_must_have_excludes_late_and_unknown_sites():
    outcome = score_catalogue(_brief(must_haves=frozenset({"availability"})), _index())

    assert outcome.eligible.tolist() == [True, True, False, False, False]
    assert "Must-have Availability" in outcome.exclusion_reason(2)


def test_the_sentences_give_the_dates():
    outcome = score_catalogue(_brief(), _index())

    assert explain(outcome, 0)[COLUMN].sentence == (
        "has capacity free from 2027-01-30; the brief needs it by 2027-03-01."
    )
    assert "73 days late" in explain(outcome, 2)[COLUMN].sentence
    assert "scored as neutral" in explain(outcome, 4)[COLUMN].sentence


def test_the_requirement_names_the_date():
    assert requirement("availability", _brief(), _index()) == "capacity by 2027-03-01"


def test_an_index_without_the_column_treats_every_site_as_unknown():
    index = _index()
    bare = type(index)(**{**index.__dict__, "available_from": None})

    outcome = score_catalogue(_brief(), bare)

    assert np.all(outcome.subscores[:, COLUMN] == NEUTRAL)


@pytest.mark.django_db
def test_the_index_reads_capacity_available_from_of_each_site():
    known = SiteFactory(capacity_available_from=datetime.date(2027, 1, 2))
    unknown = SiteFactory(capacity_available_from=None)

    index = build_catalogue_index(datetime.date(2026, 12, 1))

    by_id = dict(zip(index.site_ids.tolist(), index.available_from.tolist(), strict=True))
    assert by_id[known.pk] == datetime.date(2027, 1, 2).toordinal()
    assert np.isnan(by_id[unknown.pk])


@pytest.mark.django_db
def test_a_saved_brief_passes_its_needed_by_date_to_the_engine(helix):
    brief = BriefFactory(organisation=helix.membership.organisation, needed_by=NEEDED_BY)

    assert brief.to_criteria().needed_by == NEEDED_BY
    assert brief.to_criteria().is_asked("availability")


@pytest.mark.django_db
def test_the_form_takes_a_needed_by_date(client, helix):
    from tests.matching.test_guard_rails import _form_data

    client.force_login(helix)

    response = client.post(reverse("matching:brief-create"), _form_data(needed_by="2027-03-01"))

    assert response.status_code == 302
    assert Brief.objects.get().needed_by == NEEDED_BY


@pytest.mark.django_db
def test_the_brief_page_shows_the_needed_by_date_and_the_weight(client, helix):
    brief = BriefFactory(organisation=helix.membership.organisation, needed_by=NEEDED_BY)
    client.force_login(helix)

    page = client.get(brief.get_absolute_url()).content.decode()

    assert "1 Mar 2027" in page
    assert "Availability" in page


@pytest.mark.django_db
def test_the_migration_gives_stored_briefs_the_default_availability_weight(helix):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("matching.migrations.0010_brief_ranges_availability_weight")
    old = BriefFactory(organisation=helix.membership.organisation)
    Brief.objects.filter(pk=old.pk).update(weights={"phase": 5, "scale": 0})
    kept = BriefFactory(organisation=helix.membership.organisation)
    Brief.objects.filter(pk=kept.pk).update(weights={"availability": 1})

    migration.add_availability_weight(apps, None)

    old.refresh_from_db()
    kept.refresh_from_db()
    assert old.weights == {"phase": 5, "scale": 0, "availability": 3}
    assert kept.weights == {"availability": 1}

    migration.remove_availability_weight(apps, None)
    old.refresh_from_db()
    assert old.weights == {"phase": 5, "scale": 0}
