"""The four FDA Data Dashboard exports (DESIGN.md, "Regulator files"): their columns, how each
cell becomes a model field value, and how a file's header row says which export it is.

Cells come as FDA writes them, in CSV text or as workbook values: dates as "2019-07-01",
"07/01/2019", "2019-07-01 00:00:00", datetime cells or Excel serial numbers; FEIs as text or
floats; "-" for a missing value; the classification as "No Action Indicated (NAI)". A cell that
cannot be read raises CellRejected with the reason a curator sees, and its row is rejected.
"""

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import models

from partners.choices import ActionType, Classification
from partners.fei import FEI_TEXT, normalize_fei
from partners.models import (
    Citation,
    Inspection,
    Published483,
    Published483RecordId,
    RegulatorRecord,
    RegulatoryAction,
    Site,
)

# The rows searched for the header: some exports put a title and a filter line above it.
HEADER_SEARCH_ROWS = 20


class CellRejected(ValueError):
    """A cell the export's format does not allow; the message is the reason shown."""


class FeiDropped(ValueError):
    """A cell that is no FEI where a row may lack one: the row is kept without it, with a note."""


Parser = Callable[[Any], Any]


# -- Cell values --------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    # FDA writes "-" for a missing state, country or date.
    return value is None or (isinstance(value, str) and value.strip() in ("", "-"))


def _as_text(value: Any) -> str:
    """A cell as text: workbooks give numbers for IDs (287101, 3004540906.0) and dates."""
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    return str(value).strip()


def _max_length(model: type[models.Model], name: str) -> int | None:
    # The cells fill the model's own columns, never a relation's reverse side.
    return cast("models.Field[Any, Any]", model._meta.get_field(name)).max_length


def text(model: type[models.Model], name: str, *, required: str = "") -> Parser:
    """Text no longer than the field; `required` is the reason given when it is missing."""
    limit = _max_length(model, name)

    def parse(value: Any) -> str:
        result = _as_text(value)
        if required and not result:
            raise CellRejected(f"missing ({required})")
        if limit is not None and len(result) > limit:
            raise CellRejected(f"{len(result)} characters long; at most {limit} fit")
        return result

    return parse


_FEI_FLOAT_TEXT = re.compile(r"\d+\.0+")
_LETTERS = re.compile(r"[^\W\d_]")
_FEI_LIMIT = _max_length(Site, "fei_number")


def fei(*, required: bool) -> Parser:
    """An FEI compared as a number (partners.fei.normalize_fei). Where a row may lack one (a
    published 483), a cell that is no FEI (FDA has put a company's name there) is dropped."""

    def parse(value: Any) -> str:
        if _blank(value):
            if required:
                raise CellRejected("missing (the FEI links the record to a site)")
            return ""
        if isinstance(value, str) and _FEI_FLOAT_TEXT.fullmatch(value.strip()):
            value = value.strip().split(".")[0]  # "3004540906.0", a float written out as text
        if isinstance(value, float) and not value.is_integer():
            raise CellRejected(f"{value!r} is not an FEI number (digits, e.g. 3001234567)")
        if (
            isinstance(value, str) and (_LETTERS.search(value) or not FEI_TEXT.fullmatch(value))
        ) or not normalize_fei(value):
            if required:
                raise CellRejected(f"{value!r} is not an FEI number (digits, e.g. 3001234567)")
            raise FeiDropped(f"{value!r} is not an FEI number; the record is kept without one")
        number = normalize_fei(value)
        if _FEI_LIMIT is not None and len(number) > _FEI_LIMIT:
            raise CellRejected(f"{value!r} is too long for an FEI number")
        return number

    return parse


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
# A time after the date is ignored: exports write "2019-07-01 00:00:00" or "7/1/2019 12:00 AM".
_TIME = re.compile(
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_EXCEL_SERIAL = re.compile(r"\d{5}(?:\.0+)?")
_YEARS = range(1900, 2101)
_DATE_FORMS = "YYYY-MM-DD or MM/DD/YYYY"


def _date_value(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_serial(value)
    raw = str(value).strip()
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_US_DATE, (2, 0, 1))):
        match = pattern.match(raw)
        if match and _TIME.fullmatch(raw, match.end()):
            parts = match.groups()
            year, month, day = (int(parts[i]) for i in order)
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise CellRejected(f"{raw!r} is not a day of the calendar") from None
    if _EXCEL_SERIAL.fullmatch(raw):
        return _excel_serial(float(raw))
    raise CellRejected(f"{raw!r} is not a date (expected {_DATE_FORMS})")


def _excel_serial(value: float) -> datetime.date:
    """Days since Excel's epoch, as a workbook stores a date cell it does not format as one."""
    from openpyxl.utils.datetime import from_excel

    try:
        return from_excel(value).date()
    except (ValueError, OverflowError, TypeError, AttributeError):
        raise CellRejected(f"{value!r} is not a date (expected {_DATE_FORMS})") from None


def date(*, required: str = "") -> Parser:
    def parse(value: Any) -> datetime.date | None:
        if _blank(value):
            if required:
                raise CellRejected(f"missing ({required})")
            return None
        result = _date_value(value)
        if result.year not in _YEARS:
            raise CellRejected(f"{_as_text(value)!r} is not a plausible date (year {result.year})")
        return result

    return parse


def _lookup(table: dict[str, str], what: str, expected: str) -> Parser:
    """One of the values of `table`, by its key written in any case and spacing."""

    def parse(value: Any) -> str:
        raw = _as_text(value)
        if not raw:
            raise CellRejected(f"missing (expected {expected})")
        found = table.get(" ".join(raw.casefold().split()))
        if found is None:
            raise CellRejected(f"unknown {what} {raw!r} (expected {expected})")
        return found

    return parse


def _spellings(choices: type[models.TextChoices], names: dict[str, str]) -> dict[str, str]:
    """FDA's wording of each choice, its code and its label, all in lower case."""
    table = {}
    for value, fda_name in names.items():
        for spelling in (fda_name, value, choices(value).label):
            table[spelling.casefold()] = value
    return table


# "No Action Indicated (NAI)", "No Action Indicated" and "NAI" all mean NAI.
classification = _lookup(
    _spellings(
        Classification,
        {
            Classification.NAI: "No Action Indicated",
            Classification.VAI: "Voluntary Action Indicated",
            Classification.OAI: "Official Action Indicated",
        },
    ),
    "classification",
    "NAI, VAI or OAI, e.g. 'No Action Indicated (NAI)'",
)

action_type = _lookup(
    _spellings(
        ActionType,
        {
            ActionType.WARNING_LETTER: "Warning Letter",
            ActionType.INJUNCTION: "Injunction",
            ActionType.SEIZURE: "Seizure",
            ActionType.IMPORT_ALERT: "Import Alert",
        },
    ),
    "action type",
    "Warning Letter, Injunction, Seizure or Import Alert",
)


def fiscal_year(value: Any) -> int | None:
    raw = _as_text(value)
    if not raw:
        return None
    if not raw.isdigit() or int(raw) not in _YEARS:
        raise CellRejected(f"{raw!r} is not a year")
    return int(raw)


_YES_NO = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}


def yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    raw = _as_text(value)
    if not raw:
        return None
    if raw.casefold() not in _YES_NO:
        raise CellRejected(f"{raw!r} is neither Yes nor No")
    return _YES_NO[raw.casefold()]


# -- The exports ---------------------------------------------------------------------------------


def header_key(cell: Any) -> str:
    """A header cell compared without case, spacing or byte-order mark."""
    return " ".join(_as_text(cell).replace("\ufeff", "").casefold().split())


@dataclass(frozen=True)
class Column:
    """A column of an export: its header (and older spellings), the field it fills, its parser."""

    header: str
    field: str
    parse: Parser
    # Whether the header row must have it; a missing optional column leaves its field alone.
    required: bool = True
    aliases: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(header_key(name) for name in (self.header, *self.aliases))


@dataclass(frozen=True)
class ExportFormat:
    """One FDA export: what it is called, the model its rows become, its columns, its key."""

    slug: str
    title: str
    model: type[RegulatorRecord]
    columns: tuple[Column, ...]
    # The fields that identify a record (with the authority, which is FDA).
    key: tuple[str, ...]
    # The key field the importer looks existing records up by, in one query per batch.
    lookup: str
    # Whether its records feed the compliance score (partners/regulatory/compliance.py).
    scores: bool
    row_noun: str = field(default="record")
    # Whether a row can be merged into a record it names by another key (a 483 FDA renumbered).
    merges: bool = False
    # The field dating a record, for an import of the records up to a day (`import_fda --until`).
    dated_by: str = ""

    def match(self, header: Iterable[str]) -> tuple[int, list[Column]]:
        """How many of this format's columns the header names, and which required ones lack."""
        present = set(header)
        named = sum(1 for column in self.columns if present.intersection(column.keys))
        missing = [c for c in self.columns if c.required and not present.intersection(c.keys)]
        return named, missing


def _legal_name(model: type[RegulatorRecord]) -> Column:
    # Older exports say "Company Name".
    return Column("Legal Name", "legal_name", text(model, "legal_name"), aliases=("Company Name",))


INSPECTIONS = ExportFormat(
    slug="inspections",
    title="inspections classification",
    model=Inspection,
    columns=(
        Column("FEI Number", "fei_number", fei(required=True)),
        _legal_name(Inspection),
        Column("City", "city", text(Inspection, "city"), required=False),
        Column("State", "state", text(Inspection, "state"), required=False),
        Column("Zip", "zip_code", text(Inspection, "zip_code"), required=False),
        Column("Country/Area", "country_area", text(Inspection, "country_area"), required=False),
        Column("Fiscal Year", "fiscal_year", fiscal_year, required=False),
        Column(
            "Inspection ID",
            "inspection_id",
            text(Inspection, "inspection_id", required="the inspection's key"),
        ),
        Column("Posted Citations", "posted_citations", yes_no, required=False),
        Column("Inspection End Date", "end_date", date(required="every inspection has one")),
        Column("Classification", "classification", classification),
        Column("Project Area", "project_area", text(Inspection, "project_area")),
        Column("Product Type", "product_type", text(Inspection, "product_type"), required=False),
        Column(
            "Additional Details",
            "additional_details",
            text(Inspection, "additional_details"),
            required=False,
        ),
        Column("FMD-145 Date", "fmd145_date", date(), required=False),
    ),
    key=("inspection_id", "project_area"),
    lookup="inspection_id",
    dated_by="end_date",
    scores=True,
    row_noun="inspection",
)

COMPLIANCE_ACTIONS = ExportFormat(
    slug="compliance-actions",
    title="compliance actions",
    model=RegulatoryAction,
    columns=(
        Column("FEI Number", "fei_number", fei(required=True)),
        _legal_name(RegulatoryAction),
        Column("State", "state", text(RegulatoryAction, "state"), required=False),
        Column(
            "Country/Area", "country_area", text(RegulatoryAction, "country_area"), required=False
        ),
        Column(
            "Product Type", "product_type", text(RegulatoryAction, "product_type"), required=False
        ),
        Column("Action Taken Date", "action_date", date(required="every action has one")),
        Column("Action Type", "action_type", action_type),
        Column(
            "Case/Injunction ID",
            "case_id",
            text(RegulatoryAction, "case_id", required="the action's key"),
        ),
    ),
    key=("fei_number", "action_type", "case_id"),
    lookup="case_id",
    dated_by="action_date",
    scores=True,
    row_noun="action",
)

PUBLISHED_483S = ExportFormat(
    slug="published-483s",
    title="published 483s",
    model=Published483,
    columns=(
        Column("Record Date", "record_date", date(), required=False),
        # FDA publishes a few 483s without an FEI; they are kept, unlinked.
        Column("FEI Number", "fei_number", fei(required=False)),
        _legal_name(Published483),
        Column("Record Type", "record_type", text(Published483, "record_type"), required=False),
        Column(
            "Publish Date",
            "publish_date",
            date(required="the date FDA published the 483"),
            aliases=("Date Posted",),
        ),
        Column("Download", "download_url", text(Published483, "download_url"), required=False),
        Column(
            "Record ID",
            "record_id",
            text(Published483RecordId, "record_id", required="the key"),
        ),
    ),
    # A document is found by any Record ID FDA gave it, or else by its FEI, record date and
    # download URL (importer.py's _Published483Writer): FDA has renumbered documents.
    key=("record_id",),
    lookup="record_id",
    dated_by="publish_date",
    scores=False,
    row_noun="483",
    merges=True,
)

CITATIONS = ExportFormat(
    slug="citations",
    title="inspection citations",
    model=Citation,
    columns=(
        Column(
            "Inspection ID",
            "inspection_id",
            text(Citation, "inspection_id", required="the citation's inspection"),
        ),
        Column("FEI Number", "fei_number", fei(required=True)),
        _legal_name(Citation),
        Column("Inspection End Date", "inspection_end_date", date(), required=False),
        Column("Program Area", "program_area", text(Citation, "program_area"), required=False),
        Column("Act/CFR Number", "cfr_number", text(Citation, "cfr_number")),
        Column("Short Description", "short_description", text(Citation, "short_description")),
        Column(
            "Long Description",
            "long_description",
            text(Citation, "long_description"),
            required=False,
        ),
    ),
    key=("inspection_id", "cfr_number", "short_description"),
    lookup="inspection_id",
    dated_by="inspection_end_date",
    scores=False,
    row_noun="citation",
)

EXPORT_FORMATS = (INSPECTIONS, COMPLIANCE_ACTIONS, PUBLISHED_483S, CITATIONS)


@dataclass(frozen=True)
class Layout:
    """A recognised header row: the export, and where each of its columns is in the file."""

    export: ExportFormat
    # (column, its index in the row, its header as the file writes it) for the columns present.
    columns: tuple[tuple[Column, int, str], ...]
    # How many columns the header row has, those of no interest here included.
    width: int

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(column.field for column, _, _ in self.columns)


def recognise_header(cells: list[Any]) -> Layout | None:
    """The export whose required columns this row names (the one naming most columns, should
    two qualify), or None."""
    keys = [header_key(cell) for cell in cells]
    candidates = []
    for export in EXPORT_FORMATS:
        named, missing = export.match(keys)
        if not missing:
            candidates.append((named, export))
    if not candidates:
        return None
    _, export = max(candidates, key=lambda candidate: candidate[0])
    positions: dict[str, int] = {}
    for index, key in enumerate(keys):
        positions.setdefault(key, index)
    columns = []
    for column in export.columns:
        found = next((positions[k] for k in column.keys if k in positions), None)
        if found is not None:
            columns.append((column, found, _as_text(cells[found])))
    width = max(index for index, key in enumerate(keys) if key) + 1
    return Layout(export, tuple(columns), width)


def closest_export(rows: list[list[Any]]) -> str:
    """For a file whose header was not found: the export its rows come nearest to, and the
    columns that export needs and they lack; "" when no row names two columns of any."""
    best: tuple[float, ExportFormat, list[Column]] | None = None
    for cells in rows:
        keys = [header_key(cell) for cell in cells]
        for export in EXPORT_FORMATS:
            named, missing = export.match(keys)
            # The share of its columns named, so a short export is not beaten by a long one
            # that merely shares the same first few columns.
            share = named / len(export.columns)
            if named >= 2 and (best is None or share > best[0]):
                best = (share, export, missing)
    if best is None:
        return ""
    _, export, missing = best
    return f"closest: the {export.title} export, lacking {', '.join(c.header for c in missing)}"
