"""Duplicating a brief: a copy with every field, term and must-have, to vary one thing and
compare the runs. The copy belongs to the same organisation and is owned by who made it."""

from typing import Any

from django.db import transaction

from matching.models import Brief

TITLE_PREFIX = "Copy of "
# Brief.title's max_length.
TITLE_LENGTH = 200


def copy_title(title: str) -> str:
    """“Copy of …”, cut to fit the title's length."""
    return f"{TITLE_PREFIX}{title}"[:TITLE_LENGTH]


@transaction.atomic
def duplicate_brief(brief: Brief, user: Any) -> Brief:
    """A new brief equal to `brief` in every field and term set, titled “Copy of …”."""
    terms = {
        name: list(getattr(brief, name).all())
        for name in ("dosage_forms", "services", "technologies")
    }
    copy = Brief.objects.get(pk=brief.pk)
    copy.pk = None
    copy.id = None
    copy._state.adding = True
    copy.title = copy_title(brief.title)
    copy.created_by = user if getattr(user, "is_authenticated", False) else None
    # JSON fields are copied, not shared with the original instance.
    copy.weights = dict(brief.weights)
    copy.must_haves = list(brief.must_haves)
    copy.must_have_items = {name: list(items) for name, items in brief.must_have_items.items()}
    copy.save()
    for name, chosen in terms.items():
        getattr(copy, name).set(chosen)
    return copy
