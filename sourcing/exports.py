"""A run's results and a shortlist as files a team takes elsewhere: CSV and XLSX.

An export is a `Table`: typed columns and an iterator of rows read from the database in chunks,
never all at once. Two writers turn a table into a file in constant memory:

    table = run_table(run)                  # or shortlist_table(shortlist, user),
                                            # or comparison_table(comparison)
    StreamingHttpResponse(csv_lines(table))   # UTF-8 with a BOM, one encoded line at a time
    FileResponse(xlsx_file(table))            # a temporary file, written by openpyxl write-only

Both make text inert for spreadsheets (OWASP, "CSV injection"): a text cell starting with `=`,
`+`, `-`, `@`, a tab or a carriage return is prefixed with `'`. Numbers stay numbers, dates
stay dates (in the project's time zone, which the datetime columns' headers name).
"""

import csv
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django_countries import countries
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from matching.choices import Criterion
from matching.engine.criteria import CRITERIA
from matching.models import Result, Run
from matching.results import excluded_results
from matching.stored_results import LazyKey, breakdown_of, reason_of
from sourcing import scoring
from sourcing.choices import EXITS, PIPELINE, ExitReason, Stage, Verb
from sourcing.models import Activity, Candidate, Note, Shortlist

if TYPE_CHECKING:
    # The project keeps Django's user model (no AUTH_USER_MODEL of its own).
    from django.contrib.auth.models import User

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_SIZE = 2000
# What a spreadsheet may read as a formula (OWASP's list), and the prefix that keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
INERT_PREFIX = "'"
BOM = "\ufeff".encode()
# Excel's limits: characters in a cell, in a sheet's title (which may not hold these).
MAX_CELL_CHARS = 32_767
MAX_SHEET_TITLE = 31
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# …nor begin or end with an apostrophe (Excel repairs the workbook), spaces trimmed alike.
SHEET_TITLE_TRIMMED = "' "

Cell = str | int | float | date | datetime | None
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Kind(StrEnum):
    """A column's type: how each writer writes its cells."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    DATE = "date"
    DATETIME = "datetime"
    # Each cell typed by its own value (text, number, date): a comparison's candidate columns,
    # whose rows are of every kind.
    VARIOUS = "various"


# The XLSX number format of each kind; text and integers keep Excel's general format.
NUMBER_FORMATS = {
    Kind.NUMBER: "0.00",
    Kind.DATE: "yyyy-mm-dd",
    Kind.DATETIME: "yyyy-mm-dd hh:mm",
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: float = 14  # in characters, for XLSX
    number_format: str | None = None  # XLSX; the kind's default when None


@dataclass
class Table:
    """An export: its file name (without the extension), its sheet's title, typed columns and
    rows, one value per column, read once."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: Iterator[Sequence[Cell]]


def inert(text: str) -> str:
    """The text, prefixed with `'` when a spreadsheet would read it as a formula."""
    return INERT_PREFIX + text if text.startswith(FORMULA_STARTS) else text


def sheet_title(text: str, fallback: str) -> str:
    """The text as a title Excel takes for a sheet: none of the characters it refuses (nor
    control characters), at most 31 characters, no apostrophe at either end, not blank and not
    its reserved "History"; otherwise the fallback."""
    title = ILLEGAL_CHARACTERS_RE.sub(" ", SHEET_TITLE_FORBIDDEN.sub(" ", text))
    title = " ".join(title.split())[:MAX_SHEET_TITLE]
    # Trimmed after cutting, so that the cut leaves no space or apostrophe at the end.
    title = title.strip(SHEET_TITLE_TRIMMED)
    if not title or title.casefold() == "history":
        return fallback
    return title


def local_naive(value: datetime) -> datetime:
    """A datetime in the project's time zone without tzinfo, as spreadsheets take it."""
    if timezone.is_aware(value):
        value = timezone.localtime(value, timezone.get_default_timezone())
    return value.replace(tzinfo=None)


def _at(header: str) -> Column:
    return Column(f"{header} ({settings.TIME_ZONE})", Kind.DATETIME, width=18)


# --- Tables -----------------------------------------------------------------------------------


def run_table(run: Run) -> Table:
    """Every eligible site of the run by rank, with its score and each criterion's sub-score
    (0-1, the criteria in the engine's order), then the excluded sites, nearest misses first,
    with the constraint that removed each and why."""
    columns = [
        Column("Rank", Kind.INTEGER, width=7),
        Column("Site", width=32),
        Column("Provider", width=32),
        Column("Country", width=16),
        Column("Status", width=10),
        Column("Score", Kind.NUMBER, width=8),
        *(
            Column(Criterion(criterion).label, Kind.NUMBER, width=12, number_format="0.000")
            for criterion in CRITERIA
        ),
        Column("Excluded by", width=20),
        Column("Reason", width=60),
    ]
    return Table(
        name=f"run-{run.pk}-results",
        title=f"Run {run.pk} results",
        columns=columns,
        rows=_run_rows(run),
    )


class _Countries(dict[str | None, str]):
    """Country names by code, each looked up once per export (django-countries translates the
    name at each call)."""

    def __missing__(self, code: str | None) -> str:
        name = self[code] = str(countries.name(code)) if code else ""
        return name


def _run_rows(run: Run) -> Iterator[Sequence[Cell]]:
    country_names = _Countries()
    key = LazyKey(run.pk)
    ranked = (
        Result.objects.filter(run=run, eligible=True)
        .order_by("rank", "id")
        .values_list(
            "rank", "site_name", "provider_name", "site__country", "score", "breakdown", "parts"
        )
    )
    for rank, site_name, provider_name, country, score, stored, parts in ranked.iterator(
        chunk_size=CHUNK_SIZE
    ):
        breakdown = breakdown_of(key(parts), parts, stored)
        sub_scores = {
            part.get("criterion"): part.get("sub_score")
            for part in breakdown or ()
            if isinstance(part, dict)
        }
        yield (
            rank,
            site_name,
            provider_name,
            country_names[country],
            "ranked",
            score,
            *(_number(sub_scores.get(criterion)) for criterion in CRITERIA),
            "",
            "",
        )
    labels = {step["constraint"]: step["label"] for step in run.funnel or ()}
    excluded = excluded_results(run).values_list(
        "site_name", "provider_name", "site__country", "excluded_by", "reason", "parts"
    )
    blanks = (None,) * len(CRITERIA)
    for site_name, provider_name, country, excluded_by, stored, parts in excluded.iterator(
        chunk_size=CHUNK_SIZE
    ):
        reason = reason_of(key(parts), parts, stored)
        label = labels.get(excluded_by, excluded_by.replace("_", " "))
        yield (
            None,
            site_name,
            provider_name,
            country_names[country],
            "excluded",
            None,
            *blanks,
            label[:1].upper() + label[1:],
            reason,
        )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def shortlist_table(shortlist: Shortlist, viewer: "User | AnonymousUser | None" = None) -> Table:
    """The shortlist's candidates, in the pipeline's order then out of the race, each with its
    stage, next step, the score and rank it had in its run, and how many notes it has; with a
    viewer and evaluation criteria, the team's mean on each criterion and its weighted mean.

    The team's scores are those the exporting user may see on the page (sourcing/scoring.py's
    rule: a member once they have scored the candidate, everyone once an admin has revealed
    them), never more: a file outlives the rule, and whoever it is passed to should read no
    more than its author could. A score the user may not see yet reads HIDDEN; one nobody gave
    is empty (missing, never 0)."""
    criteria = list(shortlist.criteria.all()) if viewer is not None else []
    columns = [
        Column("Site", width=32),
        Column("Provider", width=32),
        Column("Stage", width=20),
        Column("Exit reason", width=16),
        Column("Exit note", width=40),
        Column("Owner", width=16),
        Column("Next step due", Kind.DATE, width=12),
        Column("Overdue", width=9),
        Column("Run", Kind.INTEGER, width=7),
        Column("Run score", Kind.NUMBER, width=10),
        Column("Run rank", Kind.INTEGER, width=9),
        _at("Scored at"),
        _at("Added at"),
        Column("Notes", Kind.INTEGER, width=7),
        *(
            Column(f"Team: {criterion.name} (mean)", Kind.NUMBER, width=14)
            for criterion in criteria
        ),
        *([Column("Team: weighted mean", Kind.NUMBER, width=14)] if criteria else []),
    ]
    slug = slugify(shortlist.title)[:60].strip("-")
    team = _TeamColumns(shortlist, criteria, viewer) if viewer is not None and criteria else None
    return Table(
        name=f"shortlist-{shortlist.pk}" + (f"-{slug}" if slug else ""),
        title=sheet_title(shortlist.title, "Shortlist"),
        columns=columns,
        rows=_shortlist_rows(shortlist, team),
    )


HIDDEN = "hidden until you score"


class _TeamColumns:
    """The team-score cells of each candidate, read once (four queries) when the rows are
    first written, as the viewer may see them."""

    def __init__(
        self, shortlist: Shortlist, criteria: list, viewer: "User | AnonymousUser"
    ) -> None:
        self.shortlist = shortlist
        self.criteria = criteria
        self.viewer = viewer
        self.scores: dict[int, Any] | None = None

    def cells(self, candidate_id: int) -> tuple[Cell, ...]:
        if self.scores is None:
            ids = list(self.shortlist.candidates.values_list("pk", flat=True))
            self.scores = scoring.team_scores(self.shortlist, ids, self.viewer).by_candidate
        score = self.scores.get(candidate_id)
        if score is None:
            return (None,) * (len(self.criteria) + 1)
        if not score.visible:
            return (HIDDEN,) * (len(self.criteria) + 1)
        return (
            *(_rounded(score.criterion_means.get(criterion.pk)) for criterion in self.criteria),
            _rounded(score.weighted_mean),
        )


def _rounded(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def _shortlist_rows(
    shortlist: Shortlist, team: _TeamColumns | None = None
) -> Iterator[Sequence[Cell]]:
    order = (*PIPELINE, *EXITS)
    notes = (
        Note.objects.filter(candidate=OuterRef("pk"))
        .order_by()
        .values("candidate")
        .annotate(count=Count("*"))
        .values("count")
    )
    candidates = (
        Candidate.objects.filter(shortlist=shortlist)
        .annotate(
            stage_order=Case(
                *(When(stage=stage, then=Value(i)) for i, stage in enumerate(order)),
                default=Value(len(order)),
                output_field=IntegerField(),
            ),
            notes_count=Coalesce(Subquery(notes, output_field=IntegerField()), Value(0)),
        )
        .order_by("stage_order", "rank", "id")
        .values_list(
            "pk",
            "site_name",
            "provider_name",
            "stage",
            "exit_reason",
            "exit_note",
            "owner__username",
            "due_on",
            "run_id",
            "score",
            "rank",
            "scored_at",
            "created_at",
            "notes_count",
        )
    )
    today = timezone.localdate()
    for (
        candidate_id,
        site_name,
        provider_name,
        stage,
        exit_reason,
        exit_note,
        owner,
        due_on,
        run_id,
        score,
        rank,
        scored_at,
        created_at,
        notes_count,
    ) in candidates.iterator(chunk_size=CHUNK_SIZE):
        overdue = (
            due_on is not None and due_on < today and stage not in EXITS and stage != Stage.SELECTED
        )
        yield (
            site_name,
            provider_name,
            _label(Stage, stage),
            _label(ExitReason, exit_reason),
            exit_note,
            owner or "",
            due_on,
            "yes" if overdue else "no",
            run_id,
            score,
            rank,
            scored_at,
            created_at,
            notes_count,
            *(team.cells(candidate_id) if team is not None else ()),
        )


def _label(choices: type[Stage] | type[ExitReason], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def comparison_table(comparison: dict, name: str = "comparison") -> Table:
    """A comparison (sourcing/comparison.py's dict) as a table: a row per row of the
    comparison, led by its group, its label and whether the candidates differ on it, then a
    column per candidate. Each cell is typed by its value: numbers as numbers, ISO dates as
    dates, the rest as the text shown; a cell without a value is the text the page shows
    ("not scored", "no quote yet"), or empty for a dash.

    A typed value drops what the page marks (a certificate's bare date is not "expired"), so
    after each row where a cell is flagged comes a note row, "<label> — note", giving each
    flagged cell's flag in words with the text the page shows ("expiring: expires 2027-03-01
    (in 40 days, within 90)"), and nothing for a cell without a flag."""
    columns = [
        Column("Group", width=18),
        Column("Row", width=40),
        Column("Differs", width=8),
        *(
            Column(
                f"{candidate['site_name']} ({candidate['provider_name']})",
                Kind.VARIOUS,
                width=30,
            )
            for candidate in comparison["candidates"]
        ),
    ]
    return Table(
        name=name,
        title="Comparison",
        columns=columns,
        rows=_comparison_rows(comparison),
    )


# A comparison cell's flag (sourcing/comparison.py's FLAGS) in words, in its note row.
FLAG_WORDS = {
    "expired": "expired",
    "expiring": "expiring",
    "warning": "concern",
    "missing": "missing",
    "good": "good",
}
NOTE_SUFFIX = " — note"


def _comparison_rows(comparison: dict) -> Iterator[Sequence[Cell]]:
    for group in comparison["groups"]:
        for row in group["rows"]:
            differs = "yes" if row["differs"] else "no"
            yield (
                group["name"],
                row["label"],
                differs,
                *(_comparison_value(cell) for cell in row["cells"]),
            )
            if any(cell.get("flag") for cell in row["cells"]):
                yield (
                    group["name"],
                    row["label"] + NOTE_SUFFIX,
                    differs,
                    *(_flag_note(cell) for cell in row["cells"]),
                )


def _flag_note(cell: dict) -> str | None:
    """The cell's flag in words, with the text the page shows unless it already starts with
    them ("expired 2025-01-31")."""
    flag = cell.get("flag") or ""
    if not flag:
        return None
    words = FLAG_WORDS.get(flag, flag)
    text = " ".join(str(cell.get("text") or "").split())
    if not text or text == "—":
        return words
    if text.casefold().startswith(words.casefold()):
        return text
    return f"{words}: {text}"


def _comparison_value(cell: dict) -> Cell:
    value = cell.get("value")
    if value is None:
        text = str(cell.get("text") or "")
        return None if text in ("", "—") else text
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return str(value)


def record_export(
    shortlist: Shortlist,
    user: "User | AnonymousUser",
    fmt: str,
    rows: int | None = None,
    *,
    compared: Sequence[dict] | None = None,
) -> Activity:
    """Log on the shortlist that the user exported it, in which format; with `compared` (a
    comparison's candidates), that they exported the comparison of those candidates."""
    if compared is not None:
        names = ", ".join(candidate["site_name"] for candidate in compared)
        return Activity.objects.create(
            shortlist=shortlist,
            actor=None if isinstance(user, AnonymousUser) else user,
            verb=Verb.EXPORTED,
            summary=f"the comparison of {names} as {fmt.upper()}"[:500],
            detail={
                "format": fmt,
                "comparison": [candidate["id"] for candidate in compared],
            },
        )
    if rows is None:
        rows = shortlist.candidates.count()
    return Activity.objects.create(
        shortlist=shortlist,
        actor=None if isinstance(user, AnonymousUser) else user,
        verb=Verb.EXPORTED,
        summary=f"“{shortlist.title}” as {fmt.upper()} ({rows} candidate{'s' * (rows != 1)})"[:500],
        detail={"format": fmt, "rows": rows},
    )


# --- Writers ----------------------------------------------------------------------------------


class _Line:
    """The file-like object csv.writer writes one line to; the writer returns the line."""

    def write(self, value: str) -> str:
        return value


def _csv_value(column: Column, value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_naive(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or column.kind == Kind.TEXT or isinstance(value, str):
        return inert(str(value))
    return value


def csv_lines(table: Table) -> Iterator[bytes]:
    """The table as CSV, one UTF-8 line at a time, the first led by a byte-order mark so that
    Excel reads it as UTF-8."""
    writer = csv.writer(_Line())
    header = writer.writerow([inert(column.header) for column in table.columns])
    yield BOM + header.encode()
    for row in table.rows:
        line = writer.writerow(
            [_csv_value(column, value) for column, value in zip(table.columns, row, strict=True)]
        )
        yield line.encode()


def _xlsx_text(value: str) -> str:
    return inert(ILLEGAL_CHARACTERS_RE.sub("", value))[:MAX_CELL_CHARS]


def _kind_of(column: Column, value: Cell) -> Kind:
    """The column's kind; in a column of various kinds, the value's own."""
    if column.kind != Kind.VARIOUS:
        return column.kind
    if isinstance(value, datetime):
        return Kind.DATETIME
    if isinstance(value, date):
        return Kind.DATE
    return Kind.INTEGER  # a number, in Excel's general format


def _xlsx_cell(ws: Any, column: Column, value: Cell) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or column.kind == Kind.TEXT or isinstance(value, str):
        return _xlsx_text(str(value))
    if isinstance(value, datetime):
        value = local_naive(value)
    number_format = column.number_format or NUMBER_FORMATS.get(_kind_of(column, value))
    if number_format is None:
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell


def xlsx_file(table: Table) -> IO[bytes]:
    """The table as an XLSX workbook in a temporary file, positioned at its start: deleted once
    closed. Written row by row (openpyxl's write-only mode), the header frozen, columns sized."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title=sheet_title(table.title, "Sheet1"))
    ws.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(ws, value=_xlsx_text(column.header))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in table.rows:
        ws.append(
            [
                _xlsx_cell(ws, column, value)
                for column, value in zip(table.columns, row, strict=True)
            ]
        )
    file = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the response closes it)
    try:
        workbook.save(file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file


def download(table: Table, fmt: str) -> HttpResponseBase:
    """The table as a file to download: CSV streamed line by line, XLSX from a temporary file
    (deleted once the response is closed)."""
    filename = f"{table.name}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(csv_lines(table), content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = content_disposition_header(True, filename) or ""
        return response
    return FileResponse(
        xlsx_file(table),
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES["xlsx"],
    )
