"""Import FDA Data Dashboard exports (DESIGN.md, "Regulator files"): inspections classification,
compliance actions, published 483s and citations, as CSV or XLSX; and FDA's drug establishment
registrations, which registrations.py imports as sites and providers once their header is read.

    report = import_fda_file("compliance_actions.csv")

The export is recognised by its header row (partners/importers/fda/formats.py), wherever it is in
the first rows; its records are upserted by their natural keys, so importing a file again, or a
later export overlapping it, adds nothing twice:

- inspections on (authority, inspection ID, project area); compliance actions on (FEI, case ID,
  action type); citations on (inspection ID, CFR number, short description). The authority is
  FDA throughout.
- published 483s on any Record ID FDA gave the document, else on its FEI, record date and
  download URL: FDA has published documents again under a new Record ID, and such a row is
  merged into the document (which keeps every Record ID) and counted as merged. A document's
  values are those FDA gives under its latest Record ID, whichever export is imported first.
- a record is written only when a field the file gives differs (a column the file lacks leaves
  its field alone); an unchanged record keeps its `source` and `retrieved_at`, which say where
  and when its current values were read. `retrieved_at` is the time of the import, not the
  file's modification time: a copied or downloaded file's time says nothing about FDA's data.
- each record is linked to the site carrying its FEI, compared as a number, or, when several
  sites share the FEI, to the one named as the record's firm (partners/regulatory/linking.py);
  an FEI no site has is kept and reported, with the legal name and country FDA gives, for
  curators to match. Once the import commits, the records are relinked, for a site given one
  of their FEIs while it ran.

Rows stream in batches of BATCH_SIZE: each batch is checked, then written with one query for the
records it may update, one for the sites its FEIs name, and bulk inserts and updates, so memory
stays flat and 100,000 rows take seconds. New and changed records get a history row each, so
that a record FDA has since changed still shows what it said before: a changed one through
simple_history's bulk_update_with_history, a new one copied by the database from the row just
inserted (one INSERT ... SELECT per batch, where simple_history's bulk_history_create would
build and send every row a second time).

A bad row (a bad date, an unknown classification, no FEI...) is rejected with its line number and
reason and never written; the other rows are imported. The whole file is imported in one
transaction: a file that turns out unreadable part-way (a damaged workbook) writes nothing.
An import that wrote anything bumps the catalogue version once, in its transaction, and reports the
sites whose inspections or actions it created or changed (`rescore_site_ids`): its caller queues
one Celery task recomputing their compliance scores, sent when the transaction commits.
"""

import datetime
import hashlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from core.locks import hold_transaction_lock
from partners.catalogue_version import bump_catalogue_version
from partners.choices import Authority
from partners.importers.fda.files import (
    Cell,
    Rows,
    Table,
    UnreadableFile,
    nul_columns,
    nul_reason,
    open_table,
    read_path,
    seekable,
)
from partners.importers.fda.formats import (
    HEADER_SEARCH_ROWS,
    CellRejected,
    ExportFormat,
    FeiDropped,
    Layout,
    closest_export,
    recognise_header,
)
from partners.importers.fda.history import copy_into_history
from partners.importers.fda.registrations import (
    RegistrationLayout,
    RegistrationReport,
    import_registrations,
    recognise_registration_header,
)
from partners.importers.fda.report import FdaFileReport, Rejection, UnmatchedFei
from partners.models import Published483, Published483RecordId
from partners.models.regulator import fda_numbering
from partners.regulatory.fei_rule import FeiHolders
from partners.regulatory.linking import fei_holders, regulator_records_imported

BATCH_SIZE = 2000
# How many rejections, notes and unmatched FEIs a report lists (it counts them all), so that a
# garbage file of a million rows does not fill memory with messages.
LISTED_REJECTIONS = 1000
LISTED_NOTES = 100
LISTED_UNMATCHED = 5
SOURCE_PREFIX = "FDA Data Dashboard"
_SOURCE_LIMIT = 200  # RegulatorRecord.source.max_length

Progress = Callable[[int, int | None], None]
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "utf-16": "UTF-16"}


@dataclass
class FdaImportReport(FdaFileReport):
    """What one Data Dashboard export's import did."""

    # FEIs several sites share whose rows name a firm none of them is named after: linked to
    # none, and listed in the curators' review queue "Ambiguous FEIs".
    ambiguous_feis: int = 0
    # Rows left out as dated after the import's `until` day (None: no such day given).
    after_cutoff: int | None = None
    until: datetime.date | None = None

    def summary(self) -> list[str]:
        """The report as lines for a person; a file's error and rejected rows are `problems`."""
        if self.error:
            return []
        merged = f"Merged: {self.merged:,}. " if self.merged is not None else ""
        lines = [
            self.title(),
            f"  Rows read: {self.rows_read:,}. Created: {self.created:,}. Updated: "
            f"{self.updated:,}. {merged}Unchanged: {self.unchanged:,}. Rejected: "
            f"{self.rejected:,}.",
        ]
        if self.until is not None:
            lines.append(
                f"  Left out as dated after {self.until.isoformat()}: {self.after_cutoff or 0:,} "
                "rows."
            )
        if self.merged:
            lines.append(
                "  Merged rows name a 483 already stored under another Record ID (FDA published "
                "it again, renumbered): it keeps every Record ID."
            )
        lines.append(
            f"  Linked to a site: {self.linked:,} rows. FEIs matching no site: "
            f"{self.unmatched_feis:,}."
        )
        if self.unmatched_examples:
            lines[-1] += " For example:"
            for unmatched in self.unmatched_examples:
                country = f" ({unmatched.country_area})" if unmatched.country_area else ""
                lines.append(f"    {unmatched.fei_number}  {unmatched.legal_name}{country}")
        if self.ambiguous_feis:
            lines.append(
                f"  FEIs several sites share, with rows naming none of them: "
                f'{self.ambiguous_feis:,} (see the review queue "Ambiguous FEIs").'
            )
        return lines + self.closing_lines()


class _Unrecognised(Exception):
    """The file has no header row of a known export."""


# Imports of one and the same file run one at a time (core.locks), keyed by the file's digest.
IMPORT_LOCK = "partners.fda-import"


def import_fda_file(
    file: str | Path | IO[bytes],
    name: str | None = None,
    *,
    progress: Progress | None = None,
    user: Any = None,
    until: datetime.date | None = None,
) -> FdaImportReport | RegistrationReport:
    """Import one FDA export, a path or a binary file object (e.g. an upload), and report.

    Never raises for bad input: an unreadable file or an unknown header is the report's
    `error`, a bad row one of its `rejections`. `progress(rows done, total or None)` is called
    after each batch; `user` is recorded on the history rows written. With `until`, rows
    dated after that day (an inspection's end, an action's date, a 483's publication) are left
    out and counted: the catalogue as FDA's records stood then.
    """
    if name is None:
        given = file if isinstance(file, str | Path) else getattr(file, "name", None)
        name = Path(str(given)).name if given else "upload"
    report = FdaImportReport(name=name)
    if until is not None:
        report.until, report.after_cutoff = until, 0
    with ExitStack() as stack:
        try:
            if isinstance(file, str | Path):
                file = stack.enter_context(read_path(file))
            file = seekable(file)
            digest = hashlib.file_digest(file, "sha256").hexdigest()  # type: ignore[arg-type]
            file.seek(0)
            table = open_table(file)
            stack.callback(table.close)  # before the file closes: the rows may not all be read
            report.file_format = table.file_format
            report.encoding = _ENCODING_NAMES.get(table.encoding, table.encoding)
            report.row_word = table.row_word
            with transaction.atomic():
                # Two uploads of one file at once: the second waits for the first, then finds
                # its records there (nothing to create), instead of failing on a unique key.
                # Other files go on meanwhile.
                hold_transaction_lock(f"{IMPORT_LOCK}:{digest}")
                return _FileImport(table, report, progress, user, until).run()
        except (UnreadableFile, _Unrecognised) as error:
            # Nothing was written (the transaction rolled back), so nothing is reported as such.
            _clear(report, str(error))
    return report


def _clear(report: FdaImportReport, error: str) -> None:
    fresh = FdaImportReport(report.name)
    vars(report).update(vars(fresh))
    report.error = error


class _FileImport:
    """Reads one table, checks its rows and upserts them batch by batch."""

    def __init__(
        self,
        table: Table,
        report: FdaImportReport,
        progress: Progress | None,
        user: Any,
        until: datetime.date | None = None,
    ) -> None:
        self.table = table
        self.until = until
        self.report = report
        self.progress = progress
        self.user = user
        self.now = timezone.now()
        self.unmatched: set[str] = set()
        self.ambiguous: set[str] = set()
        self.rescore: set[int] = set()

    def run(self) -> FdaImportReport | RegistrationReport:
        rows = self.table.rows
        layout, header_line = self.find_header(rows)
        if isinstance(layout, RegistrationLayout):
            # Establishment registrations become sites and providers, not regulator records.
            return import_registrations(
                self.table,
                layout,
                header_line,
                self.report.name,
                progress=self.progress,
                user=self.user,
            )
        export = layout.export
        self.report.export = export.title
        self.report.header_line = header_line
        # e.g. "FDA Data Dashboard: compliance actions (compliance_actions.csv)"
        source = f"{SOURCE_PREFIX}: {export.title} ({self.report.name})"
        if len(source) > _SOURCE_LIMIT:
            source = source[: _SOURCE_LIMIT - 2] + "…)"
        if export.merges:
            self.report.merged = 0
        writer = (_Published483Writer if export.model is Published483 else _BatchWriter)(
            layout,
            source=source,
            retrieved_at=self.now,
            change_reason=f"FDA import: {self.report.name}"[:100],
            user=self.user,
            file_import=self,
        )
        total = None
        if self.table.total_rows:
            total = max(self.table.total_rows - header_line, 0)
        batch: list[tuple[int, dict[str, Any]]] = []
        for line, cells in rows:
            if all(_is_empty(cell) for cell in cells):
                self.report.blank_rows += 1
                continue
            self.report.rows_read += 1
            values = self.check(layout, line, cells)
            if values is not None and self.after_cutoff(export, values):
                self.report.after_cutoff = (self.report.after_cutoff or 0) + 1
            elif values is not None:
                batch.append((line, values))
            if len(batch) >= BATCH_SIZE:
                writer.write(batch)
                batch = []
                if self.progress:
                    self.progress(self.report.rows_read, total)
        if batch:
            writer.write(batch)
        if self.progress:
            self.progress(self.report.rows_read, self.report.rows_read)
        self.finish(export.scores)
        return self.report

    def find_header(self, rows: Rows) -> tuple[Layout | RegistrationLayout, int]:
        seen: list[list[Cell]] = []
        for line, cells in rows:
            if all(_is_empty(cell) for cell in cells):
                continue
            layout = recognise_header(cells) or recognise_registration_header(cells)
            if layout is not None:
                return layout, line
            seen.append(cells)
            if len(seen) >= HEADER_SEARCH_ROWS:
                break
        if not seen:
            raise _Unrecognised("the file has no rows")
        first = ", ".join(str(cell) for cell in seen[0] if not _is_empty(cell))
        hint = closest_export(seen)
        raise _Unrecognised(
            "unknown header: no row among the first "
            f"{HEADER_SEARCH_ROWS} is the header of an FDA Data Dashboard export "
            "(inspections classification, compliance actions, published 483s or citations) "
            "or of FDA's drug establishment registrations"
            + (f"; {hint}" if hint else "")
            + f". The first row reads: {first[:200]!r}"
        )

    def check(self, layout: Layout, line: int, cells: list[Cell]) -> dict[str, Any] | None:
        """The row's field values, or None when it is rejected (and reported)."""
        values: dict[str, Any] = {}
        damaged = nul_columns(cells)
        if damaged:
            self.reject(line, [nul_reason(damaged)])
            return None
        reasons = []
        for column, index, header in layout.columns:
            cell = cells[index] if index < len(cells) else None
            try:
                values[column.field] = column.parse(cell)
            except CellRejected as error:
                reasons.append(f"{header}: {error}")
            except FeiDropped as error:
                values[column.field] = ""
                self.note(f"{self.report.row_word} {line}: {header} {error}")
        if any(not _is_empty(cell) for cell in cells[layout.width :]):
            reasons.append(
                f"{len(cells)} values where the header has {layout.width} columns "
                "(a value with an unquoted comma?)"
            )
        if reasons:
            self.reject(line, reasons)
            return None
        return values

    def after_cutoff(self, export: ExportFormat, values: dict[str, Any]) -> bool:
        """Whether the row is dated after the import's `until` day."""
        if self.until is None or not export.dated_by:
            return False
        day = values.get(export.dated_by)
        return day is not None and day > self.until

    def reject(self, line: int, reasons: list[str]) -> None:
        self.report.rejected += 1
        if len(self.report.rejections) < LISTED_REJECTIONS:
            self.report.rejections.append(Rejection(line, reasons))

    def note(self, message: str) -> None:
        self.report.noted += 1
        if len(self.report.notes) < LISTED_NOTES:
            self.report.notes.append(message)

    def saw_fei(
        self, fei: str, site_id: int | None, values: dict[str, Any], *, shared: bool = False
    ) -> None:
        if site_id is not None:
            self.report.linked += 1
        elif shared:
            self.ambiguous.add(fei)
        elif fei and fei not in self.unmatched:
            self.unmatched.add(fei)
            if len(self.report.unmatched_examples) < LISTED_UNMATCHED:
                self.report.unmatched_examples.append(
                    UnmatchedFei(fei, values.get("legal_name", ""), values.get("country_area", ""))
                )

    def finish(self, scores: bool) -> None:
        self.report.unmatched_feis = len(self.unmatched)
        self.report.ambiguous_feis = len(self.ambiguous)
        if not self.report.written:
            return
        bump_catalogue_version()
        # A site given one of these FEIs while the import ran saw none of its records.
        regulator_records_imported.send(sender=_FileImport)
        if scores and self.rescore:
            self.report.rescore_site_ids = sorted(self.rescore)
            self.report.sites_to_rescore = len(self.rescore)


def _is_empty(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


class _BatchWriter:
    """Upserts checked rows of one export, a batch at a time."""

    # The keys of a record's state (as `stored` and `write` keep it) that are no model fields.
    not_fields: frozenset[str] = frozenset({"pk"})

    def __init__(
        self,
        layout: Layout,
        *,
        source: str,
        retrieved_at: datetime.datetime,
        change_reason: str,
        user: Any,
        file_import: _FileImport,
    ) -> None:
        self.export = layout.export
        self.model = layout.export.model
        self.fields = layout.fields
        self.compared = [f for f in self.fields if f not in self.export.key]
        self.source = source
        self.retrieved_at = retrieved_at
        self.file_import = file_import
        self.report = file_import.report
        self.history = {
            "default_user": user,
            "default_change_reason": change_reason,
            "default_date": retrieved_at,
        }

    def key(self, values: dict[str, Any]) -> tuple:
        return tuple(values[name] for name in self.export.key)

    def stored(self, batch: list[tuple[int, dict[str, Any]]]) -> dict[tuple, dict[str, Any]]:
        """What is stored of the records this batch names, by key: one query, for values rather
        than model instances, since in a re-import most rows are unchanged."""
        lookup = self.export.lookup
        wanted = {values[lookup] for _, values in batch}
        names = ["pk", "site_id", *self.export.key, *self.compared]
        rows = self.model.objects.filter(
            authority=Authority.FDA, **{f"{lookup}__in": wanted}
        ).values_list(*names)
        states = (dict(zip(names, row, strict=True)) for row in rows)
        return {self.key(state): state for state in states}

    def sites(self, batch: list[tuple[int, dict[str, Any]]]) -> FeiHolders:
        """The sites holding the FEIs of this batch, for the linking rule: one query."""
        return fei_holders(values["fei_number"] for _, values in batch)

    def write(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        stored = self.stored(batch)
        site_of = self.sites(batch)
        # Key -> the record's values as they will be once written; "pk" is None for a new one.
        pending: dict[tuple, dict[str, Any]] = {}
        changed: dict[int, dict[str, Any]] = {}
        changed_fields: set[str] = set()
        for _, values in batch:
            key = self.key(values)
            fei = values["fei_number"]
            site_id = site_of.site_for(fei, values.get("legal_name", ""))
            self.file_import.saw_fei(fei, site_id, values, shared=site_of.is_shared(fei))
            # A key already met in this batch is compared with what the earlier row said.
            state = pending.get(key) or stored.get(key)
            if state is None:
                pending[key] = {**values, "site_id": site_id, "pk": None}
                self.report.created += 1
                self.rescore(site_id)
                continue
            differing = [name for name in self.compared if state[name] != values[name]]
            # A record without an FEI keeps the site a curator gave it.
            relink = bool(fei) and state["site_id"] != site_id
            if not differing and not relink:
                self.report.unchanged += 1
                continue
            self.report.updated += 1
            self.rescore(state["site_id"])
            self.rescore(site_id)
            state.update((name, values[name]) for name in differing)
            if relink:
                state["site_id"] = site_id
                differing.append("site_id")
            pending[key] = state
            if state["pk"] is not None:
                changed[state["pk"]] = state
                changed_fields.update(differing)
        created = [state for state in pending.values() if state["pk"] is None]
        if created:
            self.create(created)
        if changed:
            self.update(changed, changed_fields)

    def create(self, states: list[dict[str, Any]]) -> None:
        records = [
            self.model(
                authority=Authority.FDA,
                source=self.source,
                retrieved_at=self.retrieved_at,
                **{name: value for name, value in state.items() if name not in self.not_fields},
            )
            for state in states
        ]
        created = self.model.objects.bulk_create(records, batch_size=BATCH_SIZE)
        for state, record in zip(states, created, strict=True):
            state["pk"] = record.pk
        if not copy_into_history(self.model, [record.pk for record in created], **self.history):
            self.model.history.bulk_history_create(created, batch_size=BATCH_SIZE, **self.history)

    def update(self, states: dict[int, dict[str, Any]], names: set[str]) -> None:
        """Write the changed fields; the whole records are loaded, for their history rows."""
        records = self.model.objects.in_bulk(list(states))
        for pk, record in records.items():
            for name in names:
                setattr(record, name, states[pk][name])
            record.source = self.source
            record.retrieved_at = self.retrieved_at
            record.updated_at = self.retrieved_at
        fields = {"site" if name == "site_id" else name for name in names}
        bulk_update_with_history(
            list(records.values()),
            self.model,
            sorted({*fields, "source", "retrieved_at", "updated_at"}),
            batch_size=BATCH_SIZE,
            **self.history,
        )

    def rescore(self, site_id: int | None) -> None:
        if site_id is not None and self.export.scores:
            self.file_import.rescore.add(site_id)


class _Published483Writer(_BatchWriter):
    """Upserts published 483s. FDA has published some documents again under a new Record ID
    (same FEI, record date and download URL), so a row names its document by its Record ID or,
    failing that, by that identity; a new Record ID of a known document is merged into it.

    A document's values are those FDA gives under its latest Record ID (in FDA's numbering,
    partners.models.regulator.fda_numbering), so both exports give the same documents in either
    order: a row under an earlier Record ID than the latest its document has adds its Record ID
    and changes nothing else. A row without a download URL names its document by Record ID alone.
    """

    IDENTITY = ("fei_number", "record_date", "download_url")
    not_fields = frozenset({"pk", "record_id", "record_ids"})

    def identity(self, values: dict[str, Any]) -> tuple | None:
        if not values.get("download_url") or any(name not in values for name in self.IDENTITY):
            return None
        return tuple(values[name] for name in self.IDENTITY)

    def documents(self, batch: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
        """The stored documents that this batch's rows name, by Record ID or identity, each with
        its "record_ids": three queries, for values rather than model instances."""
        record_ids = {values["record_id"] for _, values in batch}
        identities = [
            identity for _, values in batch if (identity := self.identity(values)) is not None
        ]
        named = Published483RecordId.objects.filter(record_id__in=record_ids)
        wanted = Q(pk__in=named.values("document_id"))
        if identities:
            wanted |= Q(
                fei_number__in={fei for fei, _, _ in identities},
                download_url__in={url for _, _, url in identities},
            )
        names = list(dict.fromkeys(["pk", "site_id", *self.IDENTITY, *self.compared]))
        rows = Published483.objects.filter(wanted)
        states = {row[0]: dict(zip(names, row, strict=True)) for row in rows.values_list(*names)}
        for state in states.values():
            state["record_ids"] = []
        known = Published483RecordId.objects.filter(document_id__in=list(states))
        for document_id, record_id in known.values_list("document_id", "record_id"):
            states[document_id]["record_ids"].append(record_id)
        return list(states.values())

    def write(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        documents = self.documents(batch)
        by_record_id = {
            record_id: document for document in documents for record_id in document["record_ids"]
        }
        by_identity = {
            key: document for document in documents if (key := self.identity(document)) is not None
        }
        site_of = self.sites(batch)
        created: list[dict[str, Any]] = []
        changed: dict[int, dict[str, Any]] = {}
        changed_fields: set[str] = set()
        # (document's state, Record ID) for every Record ID that is new to its document.
        new_record_ids: list[tuple[dict[str, Any], str]] = []
        for line, values in batch:
            record_id = values["record_id"]
            identity = self.identity(values)
            named = by_record_id.get(record_id)
            same = by_identity.get(identity) if identity is not None else None
            state: dict[str, Any] | None = named or same
            latest = state is None or fda_numbering(record_id) >= max(
                map(fda_numbering, state["record_ids"]), default=(0, 0, "")
            )
            if named is not None and same is not None and named is not same and latest:
                self.file_import.reject(line, [_two_documents(record_id, same)])
                continue
            fei = values["fei_number"]
            site_id = site_of.site_for(fei, values.get("legal_name", ""))
            self.file_import.saw_fei(fei, site_id, values, shared=site_of.is_shared(fei))
            if state is None:
                state = {**values, "site_id": site_id, "pk": None, "record_ids": [record_id]}
                created.append(state)
                new_record_ids.append((state, record_id))
                by_record_id[record_id] = state
                if identity is not None:
                    by_identity[identity] = state
                self.report.created += 1
                continue
            if named is None:
                state["record_ids"].append(record_id)
                new_record_ids.append((state, record_id))
                by_record_id[record_id] = state
                self.report.merged = (self.report.merged or 0) + 1
            differing = [name for name in self.compared if state[name] != values[name]]
            relink = bool(fei) and state["site_id"] != site_id
            if not latest or (not differing and not relink):
                if named is not None:
                    self.report.unchanged += 1
                continue
            if named is not None:
                self.report.updated += 1
            before = self.identity(state)
            state.update((name, values[name]) for name in differing)
            if relink:
                state["site_id"] = site_id
                differing.append("site_id")
            if before != identity:
                if before is not None:
                    by_identity.pop(before, None)
                if identity is not None:
                    by_identity[identity] = state
            if state["pk"] is not None:
                changed[state["pk"]] = state
                changed_fields.update(differing)
        if created:
            self.create(created)
        if changed:
            self.update(changed, changed_fields)
        if new_record_ids:
            self.add_record_ids(new_record_ids)

    def add_record_ids(self, record_ids: list[tuple[dict[str, Any], str]]) -> None:
        rows = Published483RecordId.objects.bulk_create(
            [
                Published483RecordId(document_id=state["pk"], record_id=record_id)
                for state, record_id in record_ids
            ],
            batch_size=BATCH_SIZE,
        )
        pks = [row.pk for row in rows]
        if not copy_into_history(Published483RecordId, pks, **self.history):
            Published483RecordId.history.bulk_history_create(
                rows, batch_size=BATCH_SIZE, **self.history
            )


def _two_documents(record_id: str, other: dict[str, Any]) -> str:
    others = ", ".join(sorted(other["record_ids"], key=fda_numbering))
    return (
        f"Record ID {record_id} names a stored 483 with another FEI, record date or download "
        "URL; this row's are those of "
        + (f"the 483 with Record ID {others}" if others else "another stored 483")
        + ". If they are one document, give one of them both Record IDs in the admin and delete "
        "the other"
    )
