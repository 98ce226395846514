"""The change history of a provider or a site together with that of the records edited on its
admin page (a provider's sites; a site's capabilities, certificates, inspections and actions),
read from django-simple-history's tables.

A save in the admin stamps the page's object and every inline row it writes with one history date
and user (partners/admin.py), so the rows a save wrote read as one entry: who, when, why, and
what changed in which record, field by field. Rows written elsewhere (an import, a bulk action)
carry their own date and read as entries of their own. A record's change is its state after the
entry against its state before it, so a save that wrote a record twice (a site, then its phases)
shows once.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.models import HistoricalChanges, ModelChange
from simple_history.utils import get_m2m_reverse_field_name

# A value that is empty, in a change ("— → 2027-01-01").
EMPTY = "—"
# How many changed records one entry lists; an import touching hundreds says how many more.
LISTED_RECORDS = 25


@dataclass(frozen=True)
class HistorySource:
    """Where a page's history is kept: a historied model and the field naming the page's
    object in its rows (None for the page's object itself)."""

    model: type[models.Model]
    parent_field: str | None = None

    @property
    def history_model(self) -> Any:
        # simple_history builds the historical model at run time: its fields (history_date,
        # history_user_id, the parent's id) and its `objects` are unknown to the type checker.
        return self.model.history.model  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class RecordChange:
    """What one entry did to one record: added, changed (these fields) or deleted it."""

    source: HistorySource
    object_id: int
    history_id: int
    action: str  # "added", "changed" or "deleted"
    label: str
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def is_parent(self) -> bool:
        return self.source.parent_field is None

    @property
    def kind(self) -> str:
        return str(self.source.model._meta.verbose_name)

    @property
    def opts(self):
        return self.source.model._meta


@dataclass
class HistoryEntry:
    """One save: when, by whom, why, and the records it changed (the page's object first)."""

    date: datetime.datetime
    user: Any
    reasons: list[str]
    changes: list[RecordChange]
    unlisted: int = 0  # changed records beyond LISTED_RECORDS

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


class CombinedHistory(Sequence):
    """The entries of one object's page, newest first, read a page at a time: its length and
    order come from the rows' dates and users alone, an entry's changes only when it is read
    (a Paginator slices it)."""

    def __init__(self, sources: Sequence[HistorySource], object_id: Any) -> None:
        self.sources = list(sources)
        self.object_id = object_id
        keys: set[tuple[datetime.datetime, int | None]] = set()
        for source in self.sources:
            keys.update(
                self._rows(source).values_list("history_date", "history_user_id").distinct()
            )
        # Newest first; two users saving at the same instant stay two entries.
        self.keys = sorted(keys, key=lambda key: (key[0], key[1] or 0), reverse=True)

    def _rows(self, source: HistorySource) -> models.QuerySet:
        parent = source.parent_field or source.model._meta.pk.attname
        return source.history_model.objects.filter(**{parent: self.object_id}).order_by()

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.entries(self.keys[index])
        return self.entries([self.keys[index]])[0]

    def entries(self, keys: list[tuple[datetime.datetime, int | None]]) -> list[HistoryEntry]:
        if not keys:
            return []
        wanted = set(keys)
        dates = {date for date, _ in keys}
        by_key: dict[tuple, list[RecordChange]] = defaultdict(list)
        reasons: dict[tuple, list[str]] = defaultdict(list)
        users: dict[tuple, Any] = {}
        for source in self.sources:
            rows = [
                row
                for row in self._rows(source)
                .filter(history_date__in=dates)
                .select_related("history_user", *_related_fields(source))
                if (row.history_date, row.history_user_id) in wanted
            ]
            for key, changes in _record_changes(source, rows).items():
                by_key[key].extend(changes)
            for row in rows:
                key = (row.history_date, row.history_user_id)
                users[key] = row.history_user
                reason = row.history_change_reason
                if reason and reason not in reasons[key]:
                    reasons[key].append(reason)
        entries = []
        for key in keys:
            # A save that changed nothing in a record (the admin used to save the page's object
            # whenever only an inline row changed) is no change to show.
            changes = [c for c in by_key[key] if c.action != "changed" or c.fields]
            if not changes and not reasons[key]:
                continue
            changes.sort(key=lambda change: (not change.is_parent, change.kind, change.label))
            entries.append(
                HistoryEntry(
                    date=key[0],
                    user=users.get(key),
                    reasons=reasons[key],
                    changes=changes[:LISTED_RECORDS],
                    unlisted=max(0, len(changes) - LISTED_RECORDS),
                )
            )
        return entries


def _related_fields(source: HistorySource) -> list[str]:
    """The foreign keys a record's label reads (a capability's term), fetched with its rows."""
    return [
        f.name
        for f in source.model._meta.concrete_fields
        if f.is_relation and f.name != source.parent_field
    ]


def _record_changes(
    source: HistorySource, rows: list[HistoricalChanges]
) -> dict[tuple, list[RecordChange]]:
    """Each entry's change to each record, from the rows of those entries."""
    by_record: dict[tuple, list[Any]] = defaultdict(list)
    for row in rows:
        by_record[(row.history_date, row.history_user_id, row.id)].append(row)
    changed = {
        (key[0], key[2])
        for key, record_rows in by_record.items()
        if _action(record_rows) == "changed"
    }
    before = _rows_before(source, changed)
    changes: dict[tuple, list[RecordChange]] = defaultdict(list)
    for (date, user_id, object_id), record_rows in by_record.items():
        record_rows.sort(key=lambda row: row.history_id)
        last = record_rows[-1]
        action = _action(record_rows)
        fields: list[FieldChange] = []
        if action == "changed":
            previous = before.get((date, object_id))
            if previous is not None:
                fields = describe_delta(source.model, last.diff_against(previous).changes)
        changes[(date, user_id)].append(
            RecordChange(
                source=source,
                object_id=object_id,
                history_id=last.history_id,
                action=action,
                label=_label(source, last),
                fields=fields,
            )
        )
    return changes


def _action(record_rows: list[Any]) -> str:
    types = [row.history_type for row in sorted(record_rows, key=lambda row: row.history_id)]
    if types[-1] == "-":
        return "deleted"
    if types[0] == "+":
        return "added"
    return "changed"


def _rows_before(source: HistorySource, changed: set[tuple]) -> dict[tuple, Any]:
    """For each (date, record) pair, the record's last row before that date: one query."""
    if not changed:
        return {}
    latest = max(date for date, _ in changed)
    ids = {object_id for _, object_id in changed}
    history = (
        source.history_model.objects.filter(id__in=ids, history_date__lt=latest)
        .order_by("id", "-history_date", "-history_id")
        .select_related(*_related_fields(source))
    )
    rows: dict[int, list[Any]] = defaultdict(list)
    for row in history:
        rows[row.id].append(row)
    before = {}
    for date, object_id in changed:
        before[(date, object_id)] = next(
            (row for row in rows[object_id] if row.history_date < date), None
        )
    return before


def _label(source: HistorySource, row: Any) -> str:
    if source.parent_field == "provider":
        # A site under its provider: its own name says which.
        return row.name
    return str(row.instance)


def describe_delta(model: type[models.Model], changes: Iterable[ModelChange]) -> list[FieldChange]:
    """A historical delta's changes in a curator's words: the field's name, and each value as
    the admin shows it (a choice's label, a term's name, a date)."""
    described = []
    for change in changes:
        model_field = model._meta.get_field(change.field)
        # A delta compares a model's own fields, many-to-many ones included: never a reverse
        # relation or a generic foreign key.
        assert isinstance(model_field, models.Field)
        described.append(
            FieldChange(
                field=str(model_field.verbose_name),
                old=_display(model_field, change.old),
                new=_display(model_field, change.new),
            )
        )
    return described


def _display(model_field: Any, value: Any) -> str:
    if isinstance(model_field, models.ManyToManyField):
        # The related rows as the history keeps them: {"site": 1, "phase": "phase2"}.
        target = get_m2m_reverse_field_name(model_field)
        pks = [row[target] for row in value]
        # Resolved from "self" or "app.Model" once the apps are loaded.
        related_model = cast(type[models.Model], model_field.related_model)
        named = related_model._default_manager.in_bulk(pks)
        return ", ".join(str(named.get(pk, pk)) for pk in pks) or EMPTY
    if value is None or value == "" or value == []:
        return EMPTY
    if model_field.is_relation:
        related = model_field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value} (deleted)"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return f"{value:,f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or EMPTY
    return str(value)
