"""How a run's results are stored compactly, and read back as the run wrote them.

    key = KeyWriter()                                   # while the rows are made
    parts, verdicts = key.breakdown_row(number_parts)   # an eligible site's `parts`, `verdicts`
    parts = key.reason_row(reason)                      # an excluded site's `parts`
    ResultKey(run_id=..., **key.as_data())              # saved with the rows

    expand(results)                                     # Result instances with breakdown, reason

A run's eligible sites share most of their breakdowns: the criteria, weights and must-have flags
are the run's, and per criterion a few hundred distinct parts (sub-score, sentence, verdict) at
most (compliance scores are the most varied) serve thousands of sites; an excluded site's reason
is one of a few sentences. So a run stores each distinct piece once, in its ResultKey, and each
row only the indexes of its pieces (`Result.parts`, unsigned varints: one byte below 128), plus
the verdicts as letters (`Result.verdicts`) so that the database can count the sites meeting a
requirement (matching/summary.py). At 20,000 sites this stores a run in well under half the
bytes of a breakdown in JSON per row (bench/storage.py).

Reading rows as Result instances expands them (Result's queryset calls `expand`), so a compact
row reads as a row stored in full: `breakdown` the list of {criterion, sub_score, weight,
must_have, sentence, verdict} and `reason` the sentence. Rows stored in full (runs stored before
the compact format, or rows made through the ORM) have no `parts` and are left as they are.
Readers of `values_list` read `parts` and call `breakdown_of` / `reason_of` themselves.
"""

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from matching.engine.verdicts import DOES_NOT, MEETS, PARTLY, UNKNOWN

if TYPE_CHECKING:
    from matching.models import Result, Run

# A verdict's letter in Result.verdicts; "-" where the brief does not ask.
VERDICT_LETTERS = {MEETS: "m", PARTLY: "p", DOES_NOT: "d", UNKNOWN: "u", "": "-"}


def pack(indexes: Iterable[int]) -> bytes:
    """Non-negative integers as unsigned varints (LEB128): 7 bits a byte, the high bit set on
    every byte but a number's last."""
    out = bytearray()
    for index in indexes:
        while index >= 0x80:
            out.append((index & 0x7F) | 0x80)
            index >>= 7
        out.append(index)
    return bytes(out)


def unpack(data: bytes | memoryview) -> list[int]:
    numbers: list[int] = []
    number = shift = 0
    for byte in bytes(data):
        number |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            numbers.append(number)
            number = shift = 0
    return numbers


class KeyWriter:
    """A run's key, made as its rows are: each distinct piece gets the next index."""

    def __init__(self) -> None:
        self.criteria: list[list[Any]] = []
        self.parts: list[list[list[Any]]] = []
        self.reasons: list[str] = []
        # Per criterion, each part's packed index by its identity (see `part`).
        self.written: list[dict[Any, bytes]] = []
        self._reasons: dict[str, bytes] = {}

    def set_criteria(self, criteria: Sequence[tuple[str, float, bool]]) -> None:
        """The criteria in the breakdown's order, with the run's weights and must-have flags."""
        self.criteria = [
            [criterion, weight, must_have] for criterion, weight, must_have in criteria
        ]
        self.parts = [[] for _ in criteria]
        self.written = [{} for _ in criteria]

    def part(
        self, number: int, identity: Any, sub_score: float, sentence: str, verdict: str
    ) -> bytes:
        """The index of criterion `number`'s part, packed (a row's `parts` join them);
        `identity` tells parts apart (the sub-score's bits rather than its value: 0.0 and -0.0
        are stored as written)."""
        known = self.written[number]
        packed = known.get(identity)
        if packed is None:
            packed = known[identity] = pack((len(self.parts[number]),))
            self.parts[number].append([sub_score, sentence, verdict])
        return packed

    def reason_row(self, reason: str) -> bytes:
        """An excluded site's `parts`: its reason's index."""
        packed = self._reasons.get(reason)
        if packed is None:
            packed = self._reasons[reason] = pack((len(self.reasons),))
            self.reasons.append(reason)
        return packed

    def as_data(self) -> dict[str, Any]:
        """ResultKey's fields."""
        return {"criteria": self.criteria, "parts": self.parts, "reasons": self.reasons}


class Key:
    """A run's key as stored, to read its compact rows with."""

    def __init__(self, criteria: list[Any], parts: list[Any], reasons: list[str]) -> None:
        self.criteria = criteria
        self.parts = parts
        self.reasons = reasons

    def breakdown(self, packed: bytes | memoryview) -> list[dict[str, Any]]:
        return [
            {
                "criterion": criterion,
                "sub_score": part[0],
                "weight": weight,
                "must_have": must_have,
                "sentence": part[1],
                "verdict": part[2],
            }
            for (criterion, weight, must_have), choices, index in zip(
                self.criteria, self.parts, unpack(packed), strict=True
            )
            for part in (choices[index],)
        ]

    def reason(self, packed: bytes | memoryview) -> str:
        (index,) = unpack(packed)
        return self.reasons[index]


def keys(run_ids: Iterable[int]) -> dict[int, Key]:
    """The stored keys of these runs (those that have one), in one query."""
    from matching.models import ResultKey

    wanted = set(run_ids)
    if not wanted:
        return {}
    return {
        run_id: Key(criteria, parts, reasons)
        for run_id, criteria, parts, reasons in ResultKey.objects.filter(
            run_id__in=wanted
        ).values_list("run_id", "criteria", "parts", "reasons")
    }


class LazyKey:
    """A run's key, read from the database the first time a compact row asks for it."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.key: Key | None = None
        self.read = False

    def __call__(self, packed: bytes | memoryview | None) -> Key | None:
        if packed is None:
            return None
        if not self.read:
            self.key = keys([self.run_id]).get(self.run_id)
            self.read = True
        return self.key


def breakdown_of(key: Key | None, packed: bytes | memoryview | None, stored: Any) -> Any:
    """A row's breakdown: from its parts when compact, else as stored."""
    if packed is None or key is None:
        return stored
    return key.breakdown(packed)


def reason_of(key: Key | None, packed: bytes | memoryview | None, stored: str) -> str:
    if packed is None or key is None:
        return stored
    return key.reason(packed)


def key_of(run: "Run") -> Key | None:
    """The run's key, read once and kept on the run instance."""
    if "_stored_key" not in run.__dict__:
        run.__dict__["_stored_key"] = keys([run.pk]).get(run.pk)
    return run.__dict__["_stored_key"]


def expand(results: Sequence["Result"], run: "Run | None" = None) -> None:
    """Give compact rows (read with their `parts`) their breakdown and reason in full, from
    their runs' keys (`run`'s as kept on it, when the rows are its)."""
    compact = [
        result
        for result in results
        if result.__dict__.get("parts") is not None and not getattr(result, "_expanded", False)
    ]
    if not compact:
        return
    stored: dict[int, Key | None]
    if run is not None and all(result.run_id == run.pk for result in compact):
        stored = {run.pk: key_of(run)}
    else:
        stored = dict(keys(result.run_id for result in compact))
    for result in compact:
        key = stored.get(result.run_id)
        packed = result.parts
        if key is None or packed is None:
            continue
        eligible = result.__dict__.get("eligible")
        if eligible is None:  # not read: an eligible row has a part per criterion
            eligible = len(unpack(packed)) == len(key.criteria) > 1
        if eligible:
            result.breakdown = key.breakdown(packed)
        else:
            result.breakdown = []
            result.reason = key.reason(packed)
        result._expanded = True  # type: ignore[attr-defined]


# A part of a breakdown stored in full that a compact row can hold: every key, nothing else.
PART_KEYS = {"criterion", "sub_score", "weight", "must_have", "sentence", "verdict"}


def compact_run(run_id: int, batch_size: int = 1000) -> int:
    """Store in compact form the rows of a run stored in full (before the compact format):
    its key made from the rows, each row's parts and verdicts, its breakdown and reason
    emptied. A run whose breakdowns the format cannot hold as they are (stored before every
    site kept its sentences and verdicts, or with criteria differing between rows) is left as
    it is. Returns how many rows were compacted; reading them gives what it gave before."""
    from django.db import transaction

    from matching.models import Result, ResultKey, Run

    with transaction.atomic():
        if not Run.objects.select_for_update().filter(pk=run_id).exists():
            return 0
        rows = list(
            Result.objects.filter(run_id=run_id, parts__isnull=True)
            .order_by("site_id", "id")
            .only("id", "eligible", "breakdown", "reason")
        )
        if not rows or ResultKey.objects.filter(run_id=run_id).exists():
            return 0
        key = KeyWriter()
        criteria: list[tuple[str, float, bool]] | None = None
        for row in rows:
            if not row.eligible:
                row.parts = key.reason_row(row.reason or "")
                row.breakdown, row.reason, row.verdicts = None, "", ""
                continue
            breakdown = row.breakdown or []
            if not all(isinstance(part, dict) and set(part) == PART_KEYS for part in breakdown):
                return 0
            mine = [(p["criterion"], p["weight"], p["must_have"]) for p in breakdown]
            if criteria is None:
                criteria = mine
                key.set_criteria(criteria)
            if mine != criteria or not breakdown:
                return 0
            row.parts = b"".join(
                key.part(
                    number,
                    (json.dumps(part["sub_score"]), part["sentence"], part["verdict"]),
                    part["sub_score"],
                    part["sentence"],
                    part["verdict"],
                )
                for number, part in enumerate(breakdown)
            )
            row.verdicts = "".join(VERDICT_LETTERS[part["verdict"]] for part in breakdown)
            row.breakdown = None
        Result.objects.bulk_update(
            rows, ["breakdown", "reason", "parts", "verdicts"], batch_size=batch_size
        )
        ResultKey.objects.create(run_id=run_id, **key.as_data())
    return len(rows)
