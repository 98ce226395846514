"""Fixtures shared by the matching tests: two sponsor organisations with a member each, and a
catalogue index that no test inherits from another."""

import pytest

from matching.index import clear_catalogue_index
from matching.models import Membership, Organisation


@pytest.fixture
def fresh_catalogue_index():
    """The per-process catalogue index dropped before and after the test."""
    clear_catalogue_index()
    yield
    clear_catalogue_index()


def _member(django_user_model, slug: str, username: str):
    organisation = Organisation.objects.create(name=slug.title(), slug=slug)
    user = django_user_model.objects.create_user(username, password="pw")
    Membership.objects.create(user=user, organisation=organisation)
    return user


@pytest.fixture
def helix(django_user_model):
    """helen, of the Helix organisation."""
    return _member(django_user_model, "helix", "helen")


@pytest.fixture
def northwind(django_user_model):
    """nora, of the Northwind organisation."""
    return _member(django_user_model, "northwind", "nora")
