"""Regions now follow the UN M49 standard (partners/regions.py): tell the owners of the briefs
whose preferred regions cover other countries than when they were saved.

Before, North America held Mexico and Puerto Rico, Europe held Armenia, Azerbaijan, Cyprus and
Georgia (M49's Western Asia), and Middle East & Africa held every country the other regions did
not list. Each brief preferring a region that lost or gained a country gets a dated note naming
the countries that moved in or out of its regions; a brief without preferred regions asks the
same as before and gets none. The moves and the region names are copied here as they were when
this migration was written, as migrations must not import the code that changes.
"""

import datetime

from django.db import migrations, models
from django.utils import timezone

import matching.validation

NORTH_AMERICA = "north-america"
LATIN_AMERICA = "latin-america"
EUROPE = "europe"
ASIA_PACIFIC = "asia-pacific"
MIDDLE_EAST_AFRICA = "middle-east-africa"

OLD_NAMES = {
    NORTH_AMERICA: "North America",
    LATIN_AMERICA: "Latin America",
    EUROPE: "Europe",
    ASIA_PACIFIC: "Asia-Pacific",
    MIDDLE_EAST_AFRICA: "Middle East & Africa",
}
NEW_NAMES = {
    **OLD_NAMES,
    NORTH_AMERICA: "Northern America",
    LATIN_AMERICA: "Latin America and the Caribbean",
}

# (from, to, the countries that moved), the moves that matter most to sponsors first.
MOVES: list[tuple[str, str, list[str]]] = [
    (NORTH_AMERICA, LATIN_AMERICA, ["Mexico", "Puerto Rico"]),
    (EUROPE, MIDDLE_EAST_AFRICA, ["Armenia", "Azerbaijan", "Cyprus", "Georgia"]),
    (
        MIDDLE_EAST_AFRICA,
        LATIN_AMERICA,
        [
            "Anguilla",
            "Bonaire, Sint Eustatius and Saba",
            "Bouvet Island",
            "Falkland Islands (Malvinas)",
            "Montserrat",
            "Saint Barthélemy",
            "Saint Martin (French part)",
            "Sint Maarten (Dutch part)",
            "South Georgia",
        ],
    ),
    (
        MIDDLE_EAST_AFRICA,
        EUROPE,
        ["Åland Islands", "Guernsey", "Isle of Man", "Jersey", "Svalbard and Jan Mayen"],
    ),
    (
        MIDDLE_EAST_AFRICA,
        ASIA_PACIFIC,
        [
            "Iran",
            "American Samoa",
            "Antarctica",
            "Christmas Island",
            "Cocos (Keeling) Islands",
            "Cook Islands",
            "Heard Island and McDonald Islands",
            "Kiribati",
            "Marshall Islands",
            "Micronesia",
            "Nauru",
            "Niue",
            "Norfolk Island",
            "Northern Mariana Islands",
            "Palau",
            "Pitcairn",
            "Tokelau",
            "Tuvalu",
            "United States Minor Outlying Islands",
            "Wallis and Futuna",
        ],
    ),
]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def region_notice(preferred_regions: list[str], on: datetime.date) -> str:
    """The note for a brief preferring these regions, or "" if none of them changed."""
    regions = set(preferred_regions)
    moves = [
        f"{_and(names)} moved from {OLD_NAMES[old]} to {NEW_NAMES[new]}"
        for old, new, names in MOVES
        if old in regions or new in regions
    ]
    if not moves:
        return ""
    renamed = [
        f"“{OLD_NAMES[region]}” is now called “{NEW_NAMES[region]}”"
        for region in (NORTH_AMERICA, LATIN_AMERICA)
        if region in regions
    ]
    return (
        f"{on.day} {on:%B %Y}: regions now follow the UN M49 standard, which changes the "
        f"countries this brief's preferred regions cover. {'; '.join(moves)}."
        + (f" {_and(renamed)}." if renamed else "")
    )


def add_region_notices(apps, schema_editor) -> None:
    Brief = apps.get_model("matching", "Brief")
    today = timezone.localdate()
    noted = []
    for brief in Brief.objects.only("pk", "preferred_regions", "notice").iterator(chunk_size=2000):
        notice = region_notice(brief.preferred_regions or [], today)
        if notice:
            brief.notice = f"{brief.notice}\n\n{notice}" if brief.notice else notice
            noted.append(brief)
    # bulk_update leaves `updated_at` alone: the owners did not edit the brief.
    Brief.objects.bulk_update(noted, ["notice"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("matching", "0010_brief_ranges_availability_weight")]

    operations = [
        migrations.AddField(
            model_name="brief",
            name="notice",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="A dated note on a change that altered what the brief asks, for its "
                "owners.",
            ),
        ),
        migrations.AlterField(
            model_name="brief",
            name="preferred_regions",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Regions follow the UN M49 standard: Mexico, Central America and the "
                "Caribbean (Puerto Rico included) are Latin America and the Caribbean; Northern "
                "America is the US, Canada, Bermuda, Greenland and Saint Pierre and Miquelon.",
                validators=[matching.validation.validate_regions],
            ),
        ),
        # The fields go when the migration is reversed; the notes with them.
        migrations.RunPython(add_region_notices, migrations.RunPython.noop),
    ]
