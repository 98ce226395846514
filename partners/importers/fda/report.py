"""What an FDA file's import did: the report both importers fill (the Data Dashboard exports'
in `importer`, the drug establishment registrations' in `registrations`), so that the command
and the admin show either, and the rows it rejected.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rejection:
    """A row that was not imported, and every reason why."""

    line: int
    reasons: list[str]


@dataclass(frozen=True)
class UnmatchedFei:
    """An FEI of the file that no site in the catalogue carries, as FDA names its holder."""

    fei_number: str
    legal_name: str
    country_area: str


@dataclass
class FdaFileReport:
    """What one file's import did; `ok` when the file was read and no row was rejected."""

    name: str
    export: str = ""  # the export's title, once its header is recognised
    file_format: str = ""
    encoding: str = ""
    header_line: int | None = None
    # "line" (CSV) or "row" (XLSX): how rows are numbered in messages.
    row_word: str = "line"
    rows_read: int = 0
    blank_rows: int = 0
    created: int = 0
    updated: int = 0
    # Rows merged into a record stored under another key (a 483 FDA renumbered); None for
    # exports whose records have one key.
    merged: int | None = None
    unchanged: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    noted: int = 0
    # Rows linked to a site (a registration file: regulator records, of any kind, that now
    # link to a site it wrote).
    linked: int = 0
    unmatched_feis: int = 0
    unmatched_examples: list[UnmatchedFei] = field(default_factory=list)
    sites_to_rescore: int = 0
    # The sites whose compliance scores the records written change: the caller queues their
    # recomputation (partners.tasks.recompute_compliance), once the import has committed.
    rescore_site_ids: list[int] = field(default_factory=list)
    # Why nothing was imported (the file could not be read, or its header not recognised).
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and not self.rejected

    @property
    def written(self) -> int:
        return self.created + self.updated + (self.merged or 0)

    def title(self) -> str:
        """The summary's first line: the file, its export, format, encoding and header."""
        encoding = f", {self.encoding}" if self.encoding else ""
        return (
            f"{self.name}: FDA {self.export} ({self.file_format}{encoding}, header on "
            f"{self.row_word} {self.header_line})"
        )

    def closing_lines(self) -> list[str]:
        """The summary's last lines: the rescoring queued and the notes."""
        lines = []
        if self.sites_to_rescore:
            lines.append(
                f"  Compliance scores queued for recomputation: {self.sites_to_rescore:,} sites."
            )
        lines.extend(f"  Note: {note}" for note in self.notes)
        if self.noted > len(self.notes):
            lines.append(f"  ... and {self.noted - len(self.notes)} more notes.")
        return lines

    def problems(self) -> list[str]:
        """Why the file was not imported, or one line per rejected row (the listed ones)."""
        if self.error:
            return [f"{self.name}: nothing imported: {self.error}"]
        lines = [
            f"{self.name}, {self.row_word} {r.line}: {'; '.join(r.reasons)}"
            for r in self.rejections
        ]
        if self.rejected > len(self.rejections):
            lines.append(f"{self.name}: ... and {self.rejected - len(self.rejections)} more.")
        return lines
