"""Read, check and upsert a catalogue file: JSON Lines, one provider per line (DESIGN.md).

The file is a statement about the providers it names; importing it makes the catalogue agree
with it and touches nothing else:

- a provider is matched by slug, and given once: a second line with its slug is rejected, naming
  the first;
- a site among the provider's sites by its DUNS number, then by
  its FEI where only one of them has it (FDA has given one FEI to two establishments), then by
  name. A DUNS number names one site, and a registrant DUNS one provider: a line giving one that
  another provider has, in the file or stored, is rejected with the reason;
- the phases, DEA schedules and capabilities of a site in the file become exactly the file's;
- certifications, inspections and actions are upserted by their natural keys; sites and records
  the file does not mention are left alone;
- a line never moves a regulator record to another provider: a record naming an FEI belongs to
  the site the linking rule gives (partners/regulatory/fei_rule.py), one without an FEI to its
  site, and a line that names another provider's record, or whose sites would make the rule give
  another provider's record to it (or its record to another), is rejected naming each record
  (`ownership`). Records the rule leaves with no site (an FEI shared since, no name matching) are
  counted in the report;
- a key absent from an object leaves that field as it is (a new row takes the model's default);
  a key given as null or "" clears it. The export writes every key, so a round trip is lossless;
- a row is saved only when one of its fields changes, so importing the same file twice writes
  nothing: no `updated_at` bump, no history row.

Each line is checked completely before anything is written for it, then written in its own
savepoint, so a line is imported whole or not at all and a bad line never stops the good ones.
An atomic import runs every line in one transaction and rolls it all back if any line is rejected.
"""

from collections.abc import Iterable

from django.db import DataError, IntegrityError, transaction

from partners.importers.catalogue.checking import (
    LineChecker,
    LineRejected,
    ProviderEntry,
    Vocabulary,
)
from partners.importers.catalogue.report import ImportReport, Rejection
from partners.importers.catalogue.writing import CatalogueWriter
from partners.models import Provider, Site

# Recorded on each history row the import writes, so curators see where a change came from.
DEFAULT_CHANGE_REASON = "catalogue import"


class _CatalogueImport:
    def __init__(self, vocabulary: Vocabulary, report: ImportReport, change_reason: str) -> None:
        self.vocabulary = vocabulary
        self.report = report
        self.writer = CatalogueWriter(vocabulary, change_reason)
        # ("site" or "registrant", DUNS) -> (line, provider slug) of the first line that gave it.
        self.duns_owners: dict[tuple[str, str], tuple[int, str]] = {}
        # Provider slug -> the line that first gave it.
        self.slug_lines: dict[str, int] = {}

    def run(self, lines: Iterable[bytes | str]) -> None:
        for number, raw in enumerate(lines, start=1):
            self.report.lines_read += 1
            self.import_line(number, raw)

    def import_line(self, number: int, raw: bytes | str) -> None:
        try:
            entry = self.read(number, raw)
        except LineRejected as rejected:
            self.report.rejections.append(Rejection(number, rejected.problems))
            return
        if entry is None:
            self.report.blank_lines += 1
            return
        try:
            with transaction.atomic():
                outcome = self.writer.write(entry)
        except LineRejected as rejected:
            self.report.rejections.append(Rejection(number, rejected.problems))
        except (IntegrityError, DataError) as error:
            # The checks above should leave nothing for the database to refuse; if it still
            # does (a rename onto another site's name, a concurrent edit), report, don't crash.
            reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            self.report.rejections.append(
                Rejection(number, [f"the database refused the line: {reason}"])
            )
        else:
            self.report.add(outcome)

    def read(self, number: int, raw: bytes | str) -> ProviderEntry | None:
        """The checked line, None for a blank line; LineRejected with every problem found."""
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise LineRejected([f"not UTF-8 text (byte {error.start + 1})"]) from None
        text = raw.removeprefix("\ufeff") if number == 1 else raw
        if not text.strip():
            return None
        checker = LineChecker(self.vocabulary)
        entry = checker.provider(text)
        if entry is not None:
            first = self.slug_lines.setdefault(entry.slug, number)
            if first != number:
                checker.add(
                    "slug",
                    f"provider {entry.slug!r} is also given on line {first}; a file gives each "
                    "provider once",
                )
            self.check_duns(number, entry, checker)
        if checker.problems:
            raise LineRejected(checker.problems)
        return entry

    def check_duns(self, number: int, entry: ProviderEntry, checker: LineChecker) -> None:
        """A DUNS number names one establishment, and a registrant DUNS one provider: not two in
        this line, nor another provider's, in this file or stored. (An FEI may be shared: FDA
        has given one to two establishments.)"""
        registrant = entry.fields.get("registrant_duns")
        if registrant:
            owner_line, owner_slug = self.duns_owners.setdefault(
                ("registrant", registrant), (number, entry.slug)
            )
            other = (
                Provider.objects.filter(registrant_duns=registrant)
                .exclude(slug=entry.slug)
                .values_list("slug", flat=True)
                .first()
            )
            if owner_slug != entry.slug:
                checker.add(
                    "registrant_duns",
                    f"DUNS {registrant} is the registrant DUNS given to provider {owner_slug!r} "
                    f"on line {owner_line}",
                )
            elif other:
                checker.add(
                    "registrant_duns",
                    f"DUNS {registrant} is already the registrant DUNS of provider {other!r}",
                )
        in_line: dict[str, str] = {}
        for site in entry.sites:
            duns = site.fields.get("duns_number")
            if not duns:
                continue
            path = f"{site.path}.duns_number"
            if duns in in_line:
                checker.add(path, f"DUNS {duns} is also given for {in_line[duns]}")
                continue
            owner_line, owner_slug = self.duns_owners.setdefault(
                ("site", duns), (number, entry.slug)
            )
            if owner_slug != entry.slug:
                checker.add(
                    path, f"DUNS {duns} is given to provider {owner_slug!r} on line {owner_line}"
                )
                continue
            in_line[duns] = site.path
        if not in_line:
            return
        taken = (
            # Excluding "" lets the database use the partial unique index on DUNS numbers.
            Site.objects.filter(duns_number__in=in_line)
            .exclude(duns_number="")
            .exclude(provider__slug=entry.slug)
            .order_by()
            .values_list("duns_number", "name", "provider__slug")
        )
        for duns, site_name, provider_slug in taken:
            checker.add(
                f"{in_line[duns]}.duns_number",
                f"DUNS {duns} already belongs to site {site_name!r} of provider {provider_slug!r}",
            )


def import_catalogue(
    lines: Iterable[bytes | str],
    *,
    atomic: bool = False,
    change_reason: str = DEFAULT_CHANGE_REASON,
) -> ImportReport:
    """Upsert every good line of a catalogue file; see the module docstring for the rules."""
    report = ImportReport(atomic=atomic)
    run = _CatalogueImport(Vocabulary.load(), report, change_reason[:100])
    if not atomic:
        run.run(lines)
        return report
    with transaction.atomic():
        run.run(lines)
        if report.rejections:
            transaction.set_rollback(True)
            report.rolled_back = True
    return report
