"""A candidate's documents: the provider's quote, in the same fields for every provider so that
proposals compare, and the files attached to it (RFI answers, proposals, audit reports).

`save_quote`, `withdraw_quote`, `attach` and `detach` are what views and the API call; like
sourcing/pipeline.py they raise Django's ValidationError keyed by the field concerned, with a
message saying what is wrong and what would do, change nothing when they refuse, and log every
change (Activity) with who and when.

A file is accepted when its extension is one of ACCEPTED and its content is what the extension
says (its first bytes, the parts inside an Office file, UTF-8 for text): a renamed executable is
refused whatever its name. Files live in Django's default storage (a folder, or an S3-compatible
bucket) and are only ever given back by `file_response`, to someone a view has already found to be
of the candidate's organisation.
"""

import codecs
import math
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files import File
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control

from sourcing.choices import AttachmentKind, Verb
from sourcing.models import Attachment, Candidate, Quote
from sourcing.pipeline import _actor, _log, _named

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# --- Quotes --------------------------------------------------------------------------------------

# Currencies a quote may be in: the ISO 4217 codes of the currencies in common use for
# international contracts. A code outside the list is refused, naming the field, rather than
# stored unchecked (a typo such as "EUT" would otherwise never line up in the comparison).
# fmt: off
CURRENCIES = frozenset((
    "AED", "ARS", "AUD", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK", "DKK", "EGP",
    "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR", "ISK", "JPY", "KRW", "KWD", "MXN",
    "MYR", "NOK", "NZD", "PHP", "PLN", "QAR", "RON", "RSD", "SAR", "SEK", "SGD", "THB",
    "TRY", "TWD", "UAH", "USD", "VND", "ZAR",
))
# fmt: on
# What the database holds: DecimalField(max_digits=14, decimal_places=2).
MAX_PRICE = Decimal("999999999999.99")
MAX_BATCHES = 10_000
MAX_LEAD_TIME_WEEKS = 1_040  # twenty years
MAX_ASSUMPTIONS = 5_000


def quote_of(candidate: Candidate) -> Quote | None:
    """The candidate's quote, or None (read from `select_related("quote")` when it was)."""
    try:
        return candidate.quote
    except ObjectDoesNotExist:
        return None


def _money(currency: str, price: Decimal) -> str:
    return f"{currency} {price:,.2f}"


def _litres(scale_l: float) -> str:
    return f"{scale_l:,.1f}".removesuffix(".0") + " L"


def quote_summary(quote: Quote) -> str:
    """The quote in one line: “EUR 1,250,000.00 for 3 batches at 2,000 L, valid until
    2027-03-01”."""
    text = _money(quote.currency, Decimal(quote.price))
    if quote.batches is not None:
        text += f" for {quote.batches} batch{'' if quote.batches == 1 else 'es'}"
    if quote.scale_l is not None:
        text += f" at {_litres(quote.scale_l)}"
    if quote.valid_until is not None:
        text += f", valid until {quote.valid_until.isoformat()}"
    return text


def _whole(
    errors: dict[str, str], name: str, value: int | None, label: str, least: int, most: int
) -> None:
    if value is not None and not least <= value <= most:
        errors[name] = f"Give the {label} as a whole number from {least:,} to {most:,}."


def _quote_errors(
    price: Decimal | None,
    currency: str,
    batches: int | None,
    scale_l: float | None,
    lead_time_weeks: int | None,
    minimum_order_batches: int | None,
    assumptions: str,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if price is None:
        errors["price"] = "Give the price the provider quoted."
    elif not price.is_finite() or price < 0:
        errors["price"] = "The price cannot be negative: give 0 or more."
    elif price > MAX_PRICE:
        errors["price"] = f"The price is too large: at most {MAX_PRICE:,}."
    elif price != price.quantize(Decimal("0.01")):
        errors["price"] = "Give the price to the cent at most (two decimal places)."
    if not currency:
        errors["currency"] = "Give the currency as its ISO 4217 code, e.g. EUR, USD or CHF."
    elif currency not in CURRENCIES:
        errors["currency"] = (
            f"Unknown currency “{currency}”: give an ISO 4217 code such as EUR, USD, GBP, CHF "
            "or JPY."
        )
    _whole(errors, "batches", batches, "batches covered", 1, MAX_BATCHES)
    if scale_l is not None and not (math.isfinite(scale_l) and scale_l > 0):
        errors["scale_l"] = "The batch scale is in litres, more than 0."
    _whole(errors, "lead_time_weeks", lead_time_weeks, "lead time in weeks", 0, MAX_LEAD_TIME_WEEKS)
    _whole(
        errors,
        "minimum_order_batches",
        minimum_order_batches,
        "minimum order in batches",
        1,
        MAX_BATCHES,
    )
    if len(assumptions) > MAX_ASSUMPTIONS:
        errors["assumptions"] = (
            f"Keep the assumptions to {MAX_ASSUMPTIONS:,} characters (they have "
            f"{len(assumptions):,}); attach the provider's document for the rest."
        )
    return errors


@transaction.atomic
def save_quote(
    candidate: Candidate,
    user: "User | AnonymousUser",
    *,
    price: Decimal | int | str | None,
    currency: str,
    batches: int | None = None,
    scale_l: float | None = None,
    lead_time_weeks: int | None = None,
    minimum_order_batches: int | None = None,
    valid_until: date | None = None,
    assumptions: str = "",
) -> Quote:
    """Record the provider's quote for the candidate; a revised quote replaces the one before
    (the log keeps both). A validity date in the past is accepted, since quotes are often
    recorded late; the quote then shows as expired. Saving the same quote again changes
    nothing and logs nothing."""
    try:
        amount = None if price is None or price == "" else Decimal(str(price))
    except InvalidOperation:
        raise ValidationError({"price": "Give the price as a number, e.g. 1250000.00."}) from None
    code = (currency or "").strip().upper()
    assumptions = (assumptions or "").strip()
    errors = _quote_errors(
        amount, code, batches, scale_l, lead_time_weeks, minimum_order_batches, assumptions
    )
    if errors:
        raise ValidationError(errors)
    assert amount is not None
    values: dict[str, Any] = {
        "price": amount.quantize(Decimal("0.01")),
        "currency": code,
        "batches": batches,
        "scale_l": float(scale_l) if scale_l is not None else None,
        "lead_time_weeks": lead_time_weeks,
        "minimum_order_batches": minimum_order_batches,
        "valid_until": valid_until,
        "assumptions": assumptions,
    }
    # Locked, so that two members saving at once replace one another in turn.
    quote = Quote.objects.select_for_update().filter(candidate=candidate).first()
    previous = quote_summary(quote) if quote is not None else None
    if quote is not None and all(getattr(quote, name) == value for name, value in values.items()):
        return quote
    if quote is None:
        quote = Quote(candidate=candidate)
    for name, value in values.items():
        setattr(quote, name, value)
    quote.recorded_by = _actor(user)
    quote.save()
    candidate.quote = quote
    _log(
        candidate.shortlist,
        user,
        Verb.QUOTED,
        f"{_named(candidate)}: {quote_summary(quote)}",
        candidate,
        price=str(quote.price),
        currency=quote.currency,
        valid_until=valid_until.isoformat() if valid_until else None,
        replaces=previous,
    )
    return quote


@transaction.atomic
def withdraw_quote(candidate: Candidate, user: "User | AnonymousUser") -> None:
    """Delete the candidate's quote (the provider withdrew it, or it was recorded on the wrong
    candidate); the log keeps what it was."""
    quote = Quote.objects.select_for_update().filter(candidate=candidate).first()
    if quote is None:
        raise ValidationError({"quote": "The candidate has no quote to withdraw."})
    summary = quote_summary(quote)
    quote.delete()
    _log(
        candidate.shortlist,
        user,
        Verb.QUOTED,
        f"{_named(candidate)}: none, the quote was withdrawn (it was {summary})",
        candidate,
        withdrawn=summary,
    )


# --- Attachments ---------------------------------------------------------------------------------

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 and Excel 97-2003 files


def _starts_with(*signatures: bytes) -> Callable[[IO[bytes]], bool]:
    def check(content: IO[bytes]) -> bool:
        head = content.read(16)
        return any(head.startswith(signature) for signature in signatures)

    return check


def _zip_holding(*parts: str) -> Callable[[IO[bytes]], bool]:
    """A ZIP archive (an Office Open XML file is one) holding all of these parts, the last of
    which may be a folder (ending in "/")."""

    def check(content: IO[bytes]) -> bool:
        if content.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
            return False
        content.seek(0)
        try:
            with zipfile.ZipFile(content) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        return all(
            any(name.startswith(part) for name in names) if part.endswith("/") else part in names
            for part in parts
        )

    return check


def _utf8_text(content: IO[bytes]) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := content.read(64 * 1024):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class FileType:
    """A kind of file accepted: what it is called, the type it is served as, and how its
    content is recognised."""

    label: str
    content_type: str
    looks_right: Callable[[IO[bytes]], bool]


_PDF = FileType("PDF", "application/pdf", _starts_with(b"%PDF-"))
_JPEG = FileType("JPEG image", "image/jpeg", _starts_with(b"\xff\xd8\xff"))
_OOXML = "application/vnd.openxmlformats-officedocument"
ACCEPTED: dict[str, FileType] = {
    ".pdf": _PDF,
    ".docx": FileType(
        "Word document",
        f"{_OOXML}.wordprocessingml.document",
        _zip_holding("[Content_Types].xml", "word/"),
    ),
    ".xlsx": FileType(
        "Excel workbook",
        f"{_OOXML}.spreadsheetml.sheet",
        _zip_holding("[Content_Types].xml", "xl/"),
    ),
    ".pptx": FileType(
        "PowerPoint presentation",
        f"{_OOXML}.presentationml.presentation",
        _zip_holding("[Content_Types].xml", "ppt/"),
    ),
    ".doc": FileType("Word 97-2003 document", "application/msword", _starts_with(OLE)),
    ".xls": FileType("Excel 97-2003 workbook", "application/vnd.ms-excel", _starts_with(OLE)),
    ".csv": FileType("CSV file", "text/csv; charset=utf-8", _utf8_text),
    ".txt": FileType("text file", "text/plain; charset=utf-8", _utf8_text),
    ".png": FileType("PNG image", "image/png", _starts_with(b"\x89PNG\r\n\x1a\n")),
    ".jpg": _JPEG,
    ".jpeg": _JPEG,
    ".zip": FileType("ZIP archive", "application/zip", _zip_holding()),
}
ACCEPTED_LIST = ", ".join(ACCEPTED)
# What the file input offers (its `accept`).
ACCEPT_ATTRIBUTE = ",".join(ACCEPTED)
MAX_NAME = 255


def _size(size: int) -> str:
    """31.2 MB, 20 MB, 512 KB, 800 bytes."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} byte{'' if size == 1 else 's'}"


def max_size() -> str:
    """The largest attachment accepted, for people: “20 MB”."""
    return _size(settings.ATTACHMENT_MAX_BYTES)


def _file_name(name: str) -> str:
    """The uploaded file's own name, without any folder a browser sent and without control
    characters; long names keep their extension."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(char for char in base if char.isprintable()).strip()
    if len(base) > MAX_NAME:
        suffix = PurePath(base).suffix[:20]
        base = base[: MAX_NAME - len(suffix)] + suffix
    return base


def file_type_of(name: str) -> FileType | None:
    """The accepted type the file's name says it is, or None."""
    return ACCEPTED.get(PurePath(name).suffix.lower())


def check_file(upload: File) -> tuple[str, FileType]:
    """The file's name and type if it may be attached; otherwise a ValidationError on "file"
    saying why (its type, its size or its content) and what would do."""
    name = _file_name(upload.name or "")
    if not name:
        raise ValidationError({"file": "Choose a file to attach."})
    extension = PurePath(name).suffix.lower()
    file_type = ACCEPTED.get(extension)
    if file_type is None:
        what = f"files of type {extension}" if extension else "files without an extension"
        raise ValidationError(
            {"file": f"{name}: {what} are not accepted; accepted: {ACCEPTED_LIST}."}
        )
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": f"{name} is empty: choose the file with its content."})
    limit = settings.ATTACHMENT_MAX_BYTES
    if size > limit:
        shown, most = _size(size), max_size()
        if shown == most:  # just over: rounded, the two would read the same
            shown, most = f"{size:,} bytes", f"{most} ({limit:,} bytes)"
        raise ValidationError({"file": f"{name} is {shown}; the limit is {most}."})
    upload.seek(0)
    try:
        right = file_type.looks_right(upload)
    finally:
        upload.seek(0)
    if not right:
        raise ValidationError(
            {
                "file": f"{name}: its content is not a {file_type.label}, whatever its name "
                f"says; attach the file in its own format (accepted: {ACCEPTED_LIST})."
            }
        )
    return name, file_type


def attach(
    candidate: Candidate, user: "User | AnonymousUser", upload: File, kind: str
) -> Attachment:
    """Attach the file to the candidate, after checking its kind, type, size and content."""
    errors = {}
    if kind not in AttachmentKind.values:
        labels = ", ".join(label.lower() for label in AttachmentKind.labels)
        errors["kind"] = (
            f"Unknown kind “{kind}”: use one of {', '.join(AttachmentKind.values)}."
            if kind
            else f"Say what the file is: {labels}."
        )
    try:
        name, file_type = check_file(upload)
    except ValidationError as error:
        errors.update({key: value[0] for key, value in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    attachment = Attachment(
        candidate=candidate,
        kind=kind,
        name=name,
        content_type=file_type.content_type,
        size=upload.size or 0,
        uploaded_by=_actor(user),
    )
    # The file is stored first (under a random folder, models.attachment_path), since the row
    # holds its name; should the row not be written, the stored file goes too.
    attachment.file.save(name, upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            _log(
                candidate.shortlist,
                user,
                Verb.ATTACHED,
                f"{_named(candidate)}: {name} ({AttachmentKind(kind).label}, "
                f"{_size(attachment.size)})",
                candidate,
                attachment=attachment.pk,
                name=name,
                kind=kind,
                size=attachment.size,
            )
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


@transaction.atomic
def detach(attachment: Attachment, user: "User | AnonymousUser") -> None:
    """Delete the attachment; its file leaves the storage once the deletion is committed (a
    rolled-back deletion keeps it: sourcing/signals.py). The log keeps that it was there."""
    candidate = attachment.candidate
    _log(
        candidate.shortlist,
        user,
        Verb.DETACHED,
        f"{_named(candidate)}: {attachment.name}",
        candidate,
        name=attachment.name,
        kind=attachment.kind,
    )
    attachment.delete()


def file_response(attachment: Attachment) -> FileResponse:
    """The attachment's file as a download, read through the storage (a folder or a bucket).

    Always a download under its own name, never shown in the page; served as the type its name
    says when that type is accepted, as bytes otherwise; browsers are told not to guess another
    type (nosniff), and anything it could run is sandboxed (CSP). Not kept by shared caches."""
    try:
        content = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file is missing from the storage.") from None
    file_type = file_type_of(attachment.name)
    response = FileResponse(
        content,
        as_attachment=True,
        filename=attachment.name,
        content_type=file_type.content_type if file_type else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    patch_cache_control(response, private=True, no_store=True)
    return response
