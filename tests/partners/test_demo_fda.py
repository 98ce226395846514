"""`make demo`'s real FDA files: they are in the repository, and, imported as the demo imports
them (registrations first), a real firm with a warning letter is found in the directory under
"All FDA-registered establishments", its profile showing the letter and its 483s with FDA's links.

The files are cut down to one firm's rows (and an establishment registered only to transfill
medical gases), each kept exactly as FDA ships it.
"""

import csv
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.management import call_command

from partners.models import Site

pytestmark = pytest.mark.django_db

FDA_DIR = Path(settings.BASE_DIR) / "partners" / "demo" / "fda"
# Sun Pharmaceutical Industries, Halol: registered, a warning letter in warning_letters_2025.csv
# (case 458804) and six published 483s.
FEI = "3002809586"


def _demo_files() -> list[str]:
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    listed = re.search(
        r"DEMO_FDA_FILES := \$\(addprefix partners/demo/fda/,(.*?)\)", makefile, re.S
    )
    assert listed, "the demo target names its FDA files"
    return listed.group(1).replace("\\", " ").split()


def test_the_files_make_demo_imports_are_in_the_repository_registrations_first():
    files = _demo_files()
    assert files[0] == "drug_establishments.txt"
    assert set(files) == {
        "drug_establishments.txt",
        "compliance_actions.csv",
        "warning_letters_2025.csv",
        "published_483s.csv",
        "published_483s_2025.xlsx",
    }
    for name in files:
        assert (FDA_DIR / name).is_file(), name
    assert (FDA_DIR / "README.md").is_file()


def _cut_registrations(target: Path) -> None:
    """The header, the firm's row and one transfill-only row, bytes as FDA ships them."""
    lines = (FDA_DIR / "drug_establishments.txt").read_bytes().split(b"\r\n")
    firm = [line for line in lines if line.startswith(FEI.encode() + b"\t")]
    gases = next(line for line in lines if line.split(b"\t")[5:6] == [b"TRANSFILL"])
    target.write_bytes(b"\r\n".join([lines[0], *firm, gases, b""]))


def _cut_csv(source: str, target: Path, fei_column: int) -> list[list[str]]:
    with (FDA_DIR / source).open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    kept = [row for row in rows[1:] if row[fei_column] == FEI]
    with target.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([rows[0], *kept])
    return kept


def test_a_real_firm_with_a_warning_letter_is_found_with_its_letter_and_483s(client, tmp_path):
    registrations = tmp_path / "drug_establishments.txt"
    _cut_registrations(registrations)
    letters = tmp_path / "warning_letters_2025.csv"
    assert _cut_csv("warning_letters_2025.csv", letters, fei_column=0)
    published = tmp_path / "published_483s.csv"
    documents = _cut_csv("published_483s.csv", published, fei_column=1)
    assert len(documents) == 6

    call_command("import_fda", str(registrations), str(letters), str(published))

    # Not among the contract manufacturers, found among the registered establishments.
    default = client.get("/?q=Sun+Pharmaceutical").context["entries"]
    assert default == []
    response = client.get("/?scope=registered&q=Sun+Pharmaceutical")
    entries = response.context["entries"]
    assert [entry["provider"].name for entry in entries] == [
        "Sun Pharmaceutical Industries Limited"
    ]
    card = BeautifulSoup(response.content, "html.parser").select_one(".provider-card")
    assert "FDA registration" in card.get_text()
    assert "Demo data" not in card.get_text()
    # The transfill-only establishment shows only when asked for.
    site = Site.objects.get(fei_number=FEI)
    assert Site.objects.filter(ancillary_only=True).count() == 1
    assert client.get("/?scope=registered&view=sites").context["total"] == 1
    ancillary = client.get("/?scope=registered&view=sites&include_ancillary=true")
    assert ancillary.context["total"] == 2

    profile = BeautifulSoup(
        client.get(entries[0]["provider"].get_absolute_url()).content, "html.parser"
    )
    card = profile.select_one(f"#site-{site.pk}")
    table = card.select_one(f"[aria-labelledby='site-{site.pk}-history'] table")
    history = " ".join(table.get_text(" ").split())
    assert "Warning letter" in history
    assert "458804" in history
    links = {a["href"] for a in card.select("a[href^='https://www.fda.gov/']")}
    assert {row[5] for row in documents} <= links
