"""Open a tabular export (CSV or XLSX) and stream its rows, numbered as a person sees them.

The FDA importer (partners/importers/fda/importer.py) reads FDA Data Dashboard exports through
this: it only sees numbered rows of cell values, whatever the file's format and text encoding.
Rows are read one at a time, so memory does not grow with the file.

- XLSX is recognised by its content (a ZIP archive), not its name, and read with openpyxl in
  read-only mode; rows are numbered as in Excel.
- Anything else must be text: UTF-8 with or without a byte-order mark, UTF-16 with one, or
  Windows-1252 (what Excel on Windows writes) when the file is not valid UTF-8. Its rows are
  numbered by the physical line they start on, so a quoted value spanning lines counts them all.
- Text whose first line has more tabs than commas is tab-separated, as FDA ships its drug
  establishment registrations (drls_reg.txt): no quoting there, so a `"` is part of the value.
- A file that is neither (an image, a PDF, an old .xls workbook, a damaged workbook) raises
  UnreadableFile with a reason a curator can act on, before or while its rows are read.
"""

import codecs
import csv
import io
import shutil
import tempfile
import zipfile
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

# A value of a cell: text from a CSV; text, a number, a datetime or None from a workbook.
Cell = Any
# (row number, cell values), row after row.
Rows = Generator[tuple[int, list[Cell]], None, None]

_SAMPLE_BYTES = 8192
_DECODE_CHUNK_BYTES = 1 << 20
# Bytes that never occur in text a spreadsheet exports (every C0 control but tab, LF, FF, CR).
_CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13})
# A few stray control bytes happen in real exports; a binary file has them everywhere.
_MAX_CONTROL_SHARE = 0.01
_NOT_TABULAR = {
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls); save it as .xlsx or CSV",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}


class UnreadableFile(Exception):
    """The file cannot be read as a CSV or XLSX export; the message says why."""


@dataclass
class Table:
    """The rows of one file: `rows` yields (row number, cell values), from the first row."""

    file_format: str  # "CSV", "tab-separated text" or "XLSX"
    encoding: str  # the text encoding of a CSV; "" for a workbook
    rows: Rows
    # Rows the file holds, when known without reading it (a workbook's stated size).
    total_rows: int | None = None
    # "line" for a CSV, "row" for a workbook: how a person finds a row in the file.
    row_word: str = "line"

    def close(self) -> None:
        """Stop reading: releases the workbook, or gives a CSV's file object back."""
        self.rows.close()


def open_table(file: IO[bytes]) -> Table:
    """Recognise the file's format and return its rows. `file` is a binary file object; it is
    read from its start and must be seekable (see `seekable`)."""
    file.seek(0)
    head = file.read(_SAMPLE_BYTES)
    file.seek(0)
    if not head:
        raise UnreadableFile("the file is empty")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _workbook_table(file)
    for magic, what in _NOT_TABULAR.items():
        if head.startswith(magic):
            raise UnreadableFile(f"this is {what}, not a CSV or XLSX export")
    encoding = _text_encoding(file, head)
    if _tab_separated(head, encoding):
        return Table("tab-separated text", encoding, _csv_rows(file, encoding, tabs=True))
    return Table("CSV", encoding, _csv_rows(file, encoding))


def seekable(file: IO[bytes]) -> IO[bytes]:
    """The file itself when it can seek, else a temporary copy that can (e.g. standard input)."""
    if file.seekable():
        return file
    copy = tempfile.SpooledTemporaryFile(max_size=_DECODE_CHUNK_BYTES * 8)  # noqa: SIM115
    shutil.copyfileobj(file, copy)
    copy.seek(0)
    return copy


def read_path(path: str | Path) -> IO[bytes]:
    """Open a path for `open_table`, with a readable message when that fails."""
    try:
        return Path(path).open("rb")
    except FileNotFoundError:
        raise UnreadableFile("no such file") from None
    except IsADirectoryError:
        raise UnreadableFile("this is a directory, not a file") from None
    except OSError as error:
        raise UnreadableFile(f"cannot open it: {error.strerror or error}") from None


# -- Text ---------------------------------------------------------------------------------------


def _text_encoding(file: IO[bytes], head: bytes) -> str:
    """UTF-16 when the file starts with its byte-order mark; else UTF-8 (a BOM is dropped) when
    the whole file decodes as UTF-8; else Windows-1252. Reads the file once (chunk by chunk)
    and leaves it at its start: a file valid as UTF-8 in its first megabyte may not be later."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # A stray NUL is a damaged row, reported with its line (`nul_columns`); a file full of
    # control bytes is not text at all.
    controls = sum(head.count(byte) for byte in _CONTROL_BYTES)
    if controls > _MAX_CONTROL_SHARE * len(head):
        raise UnreadableFile("this is a binary file, not a CSV or XLSX export")
    try:
        for encoding in ("utf-8-sig", "cp1252"):
            if _decodes_as(file, encoding):
                return encoding
    finally:
        file.seek(0)
    raise UnreadableFile("the text is neither UTF-8 nor Windows-1252")


def _decodes_as(file: IO[bytes], encoding: str) -> bool:
    file.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while chunk := file.read(_DECODE_CHUNK_BYTES):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def nul_columns(cells: list[Cell]) -> list[int]:
    """The 1-based columns whose text holds a NUL character: no export has one, and no
    database column can store one, so the row is rejected and reported with its line."""
    return [
        number
        for number, cell in enumerate(cells, start=1)
        if isinstance(cell, str) and "\x00" in cell
    ]


def nul_reason(columns: list[int]) -> str:
    listed = ", ".join(str(number) for number in columns)
    return (
        f"a NUL character (byte 0) in column{'s' if len(columns) > 1 else ''} {listed}: "
        "the file is damaged there"
    )


def _tab_separated(head: bytes, encoding: str) -> bool:
    first_line = head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[:1]
    return bool(first_line) and first_line[0].count("\t") > first_line[0].count(",")


def _csv_rows(file: IO[bytes], encoding: str, *, tabs: bool = False) -> Rows:
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        reader = (
            csv.reader(text, delimiter="\t", quoting=csv.QUOTE_NONE) if tabs else csv.reader(text)
        )
        last_line = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise UnreadableFile(f"line {last_line + 1}: {error}") from None
            yield last_line + 1, cells
            last_line = reader.line_num
    finally:
        # Give the caller its file back open: closing the wrapper would close it.
        text.detach()


# -- Workbooks ----------------------------------------------------------------------------------


def _workbook_table(file: IO[bytes]) -> Table:
    from openpyxl import load_workbook

    damaged = "the XLSX workbook is damaged or truncated"
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except zipfile.BadZipFile:
        raise UnreadableFile(f"{damaged} (it is not a complete ZIP archive)") from None
    except Exception as error:  # openpyxl raises many kinds on a bad archive; all mean the same
        raise UnreadableFile(f"this is not a readable XLSX workbook ({error})") from None
    try:
        sheet = workbook.active or workbook.worksheets[0]
    except (IndexError, KeyError):
        workbook.close()
        raise UnreadableFile("the workbook has no worksheet") from None
    stated_rows = sheet.max_row
    # Some writers state wrong dimensions, which would cut rows short in read-only mode.
    sheet.reset_dimensions()
    return Table("XLSX", "", _workbook_rows(workbook, sheet, damaged), stated_rows, "row")


def _workbook_rows(workbook: Any, sheet: Any, damaged: str) -> Rows:
    try:
        rows = sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception as error:  # a damaged sheet fails inside zlib or the XML parser
                raise UnreadableFile(f"row {number + 1}: {damaged} ({error})") from None
            number += 1
            yield number, list(cells)
    finally:
        workbook.close()
