"""Must-haves per item: a brief's must-have on capability, markets or certifications becomes a
must-have on each item of the lists that criterion scores, so that every stored brief keeps its
meaning (a site lacking any of them is still excluded), now item by item.

Going back, a criterion becomes a must-have again when any item of its lists is one: stricter
than an item must-have alone, but never admitting a site the brief ruled out.

Result.excluded_by widens to hold an item must-have's name ("required_certifications:eu-gmp").
"""

from django.db import migrations, models

# Each criterion whose must-have the per-item form replaces, and the brief's lists it scores
# (matching/engine/criteria.py, ITEM_LISTS). Frozen here: a migration must not follow later
# changes of the code it migrates.
CRITERION_LISTS = {
    "capability": ("dosage_forms", "services", "technologies"),
    "markets": ("target_markets",),
    "certifications": ("required_certifications",),
}
TERM_LISTS = ("dosage_forms", "services", "technologies")


def _items(brief, list_name: str) -> list[str]:
    if list_name in TERM_LISTS:
        return sorted(getattr(brief, list_name).values_list("slug", flat=True))
    return list(getattr(brief, list_name) or [])


def criterion_must_haves_to_items(apps, schema_editor) -> None:
    Brief = apps.get_model("matching", "Brief")
    for brief in Brief.objects.order_by("pk").iterator():
        replaced = [name for name in brief.must_haves or [] if name in CRITERION_LISTS]
        if not replaced:
            continue
        items = {name: list(values) for name, values in (brief.must_have_items or {}).items()}
        for criterion in replaced:
            for list_name in CRITERION_LISTS[criterion]:
                wanted = _items(brief, list_name)
                if wanted:
                    kept = items.get(list_name, [])
                    items[list_name] = kept + [item for item in wanted if item not in kept]
        # update(), not save(): the brief's meaning is unchanged, so is its updated_at.
        Brief.objects.filter(pk=brief.pk).update(
            must_haves=[name for name in brief.must_haves if name not in CRITERION_LISTS],
            must_have_items=items,
        )


def item_must_haves_to_criteria(apps, schema_editor) -> None:
    Brief = apps.get_model("matching", "Brief")
    for brief in Brief.objects.order_by("pk").iterator():
        items = dict(brief.must_have_items or {})
        if not items:
            continue
        must_haves = list(brief.must_haves or [])
        for criterion, lists in CRITERION_LISTS.items():
            if any(items.get(list_name) for list_name in lists) and criterion not in must_haves:
                must_haves.append(criterion)
            for list_name in lists:
                items.pop(list_name, None)
        Brief.objects.filter(pk=brief.pk).update(must_haves=must_haves, must_have_items=items)


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0008_ranking_stability_acceptability"),
    ]

    operations = [
        migrations.AlterField(
            model_name="result",
            name="excluded_by",
            field=models.CharField(blank=True, db_default="", max_length=100),
        ),
        migrations.RunPython(criterion_must_haves_to_items, item_must_haves_to_criteria),
    ]
