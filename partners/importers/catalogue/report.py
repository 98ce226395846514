"""What a catalogue import read and did: the counts, and each rejected line with its problems."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from partners.importers.catalogue.writing import LineOutcome


@dataclass
class Rejection:
    line: int
    problems: list[str]

    def messages(self) -> list[str]:
        return [f"line {self.line}: {problem}" for problem in self.problems]


@dataclass
class ImportReport:
    """What an import read and did; `rolled_back` when an atomic import wrote nothing."""

    atomic: bool = False
    lines_read: int = 0
    blank_lines: int = 0
    providers: Counter = field(default_factory=Counter)
    sites: Counter = field(default_factory=Counter)
    records: Counter = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    rolled_back: bool = False
    # Regulator records the linking rule left with no site: the file gave their FEI to another
    # site, and their legal name tells none of the sites sharing it apart.
    unlinked: int = 0

    def add(self, outcome: LineOutcome) -> None:
        self.providers[outcome.provider] += 1
        self.sites.update(outcome.sites)
        self.records.update(outcome.records)
        self.unlinked += outcome.unlinked

    def summary(self) -> list[str]:
        """The report's lines for standard output (rejections are listed apart)."""
        blank = f" ({self.blank_lines} blank)" if self.blank_lines else ""
        lines = [f"Lines read: {self.lines_read}{blank}."]
        if self.rolled_back:
            lines.append(
                f"Nothing was written: --atomic, and {len(self.rejections)} line(s) were rejected."
            )
            return lines

        def counts(counter: Counter, statuses: Sequence[str]) -> str:
            return ", ".join(f"{counter[status]} {status}" for status in statuses)

        statuses = ("created", "updated", "unchanged")
        lines.append(f"Providers: {counts(self.providers, statuses)}.")
        lines.append(f"Sites: {counts(self.sites, statuses)}.")
        for kind in ("capabilities", "certifications", "inspections", "actions"):
            verbs = [(verb, self.records[kind, verb]) for verb in ("added", "updated", "removed")]
            written = ", ".join(f"{count} {verb}" for verb, count in verbs if count)
            if written:
                lines.append(f"{kind.capitalize()}: {written}.")
        if self.unlinked:
            lines.append(
                f"Regulator records now linked to no site: {self.unlinked} (their FEI is shared "
                "now and their legal name matches none of its sites; see the review queue "
                '"Ambiguous FEIs").'
            )
        if self.rejections:
            lines.append(f"Rejected lines: {len(self.rejections)} (listed on standard error).")
        return lines

    def rejection_messages(self) -> list[str]:
        return [message for rejection in self.rejections for message in rejection.messages()]
