"""Geometry of a site's regulatory timeline, drawn as inline SVG on the provider profile.

Plain Python over plain data: `build_timeline` takes dated events (inspections and enforcement
actions) and returns lanes, year ticks and markers in the coordinates of a fixed viewBox. The
template only places these numbers and strings, so the chart needs no chart library and no
JavaScript, and Django's autoescaping covers every title.

Inspections are circles coloured by classification (NAI green, VAI amber, OAI red); each action
type has its own shape, so the chart still reads in greyscale and for colour-blind readers.
"""

import datetime
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

from partners.choices import ActionType, Classification

# The viewBox: the SVG scales to its container's width, these are its internal units.
WIDTH = 960
LANE_LABEL_WIDTH = 150
# Lane labels are drawn at 14 units, semibold; a line of label wider than this is split in two.
LABEL_FONT_SIZE = 14
LABEL_LINE_HEIGHT = 16
_LABEL_ROOM = LANE_LABEL_WIDTH - 12 - 8  # from the plot's edge, less a margin on the left
# Words join on one line up to this width: every authority's "inspections" lane then reads on
# two lines alike, rather than some on one and some on two.
_LABEL_JOIN = 100
RIGHT_PADDING = 16
TOP_PADDING = 24  # room for the "Today" label
LANE_HEIGHT = 48
AXIS_HEIGHT = 28
MARKER_RADIUS = 6.5

# However recent a site's records, the axis covers at least this many years up to today, so a
# single inspection last year does not fill the whole chart and look like a long history.
MIN_YEARS = 10

# Markers closer than this on one lane are stacked above and below the lane's centre line.
_MIN_GAP = 2 * MARKER_RADIUS + 2
_STACK_OFFSETS = (0.0, -13.0, 13.0)


@dataclass(frozen=True, slots=True)
class MarkerStyle:
    """How one kind of record is drawn, and what the legend calls it."""

    shape: str  # circle, triangle, diamond, square, cross, star
    fill: str
    label: str


MARKER_STYLES: dict[str, MarkerStyle] = {
    Classification.NAI: MarkerStyle("circle", "#1f7a45", "Inspection: NAI"),
    Classification.VAI: MarkerStyle("circle", "#c27803", "Inspection: VAI"),
    Classification.OAI: MarkerStyle("circle", "#b42318", "Inspection: OAI"),
    ActionType.WARNING_LETTER: MarkerStyle("triangle", "#6b2f8a", "Warning letter"),
    ActionType.IMPORT_ALERT: MarkerStyle("diamond", "#6b2f8a", "Import alert"),
    ActionType.INJUNCTION: MarkerStyle("square", "#6b2f8a", "Injunction"),
    ActionType.SEIZURE: MarkerStyle("cross", "#6b2f8a", "Seizure"),
    ActionType.EU_NON_COMPLIANCE: MarkerStyle("star", "#6b2f8a", "EU statement of non-compliance"),
}

# A classification or action type this module does not know yet (a new value in a regulator's
# export): still drawn, in a neutral grey, rather than dropped or passed off as a known one.
OTHER_STYLE = MarkerStyle("circle", "#5b6675", "Other record")


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One regulator record to place: `symbol` is its classification or its action type."""

    date: datetime.date
    lane: str
    symbol: str
    title: str


@dataclass(frozen=True, slots=True)
class LabelLine:
    text: str
    y: float  # baseline


@dataclass(frozen=True, slots=True)
class Lane:
    label: str
    y: float  # top edge
    centre: float
    height: float
    label_y: float
    # The label as drawn: "MHRA inspections" on two lines ("MHRA", "inspections"), each
    # short enough to fit whole left of the plot, however wide its authority's name.
    label_lines: tuple[LabelLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Tick:
    x: float  # gridline at 1 January
    label: str
    label_x: float  # the label sits in the middle of its year


@dataclass(frozen=True, slots=True)
class Marker:
    date: datetime.date
    symbol: str
    shape: str
    fill: str
    cx: float
    cy: float
    r: float
    points: str  # polygon points; empty for circles
    title: str


@dataclass(frozen=True, slots=True)
class LegendEntry:
    label: str
    shape: str
    fill: str
    points: str  # in a 16 by 16 box; empty for circles


@dataclass(frozen=True, slots=True)
class Timeline:
    width: int
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    start: datetime.date
    end: datetime.date
    today_x: float
    lanes: list[Lane]
    ticks: list[Tick]
    markers: list[Marker]
    legend: list[LegendEntry]
    summary: str

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {_fmt(self.height)}"

    @property
    def plot_width(self) -> float:
        return self.plot_right - self.plot_left

    @property
    def lane_label_x(self) -> float:
        return self.plot_left - 12

    @property
    def year_label_y(self) -> float:
        return self.plot_bottom + 19

    @property
    def today_top(self) -> float:
        return self.plot_top - 6

    @property
    def today_label_y(self) -> float:
        return self.plot_top - 10

    def svg(self) -> SafeString:
        """The chart as inline SVG markup, every text escaped. Written here rather than in a
        template: a chart is a few hundred elements of numbers, which a template would take
        several times longer to place, once per site of a profile."""
        n = _fmt
        left, width = n(self.plot_left), n(self.plot_width)
        label_x = n(self.lane_label_x)
        parts = [
            f'<svg viewBox="{self.view_box}" width="100%" preserveAspectRatio="xMinYMin meet" '
            f'role="img" aria-label="{escape(self.summary)}" class="timeline-chart" '
            'focusable="false">'
        ]
        for index, lane in enumerate(self.lanes, start=1):
            alt = " lane-alt" if index % 2 == 0 else ""
            spans = "".join(
                f'<tspan x="{label_x}" y="{n(line.y)}">{escape(line.text)}</tspan>'
                for line in lane.label_lines
            )
            parts.append(
                f'<rect class="lane{alt}" x="{left}" y="{n(lane.y)}" width="{width}" '
                f'height="{n(lane.height)}" />'
                f'<text class="lane-label" x="{label_x}" y="{n(lane.label_y)}" '
                f'text-anchor="end">{spans}</text>'
            )
        top, bottom = n(self.plot_top), n(self.plot_bottom)
        year_y = n(self.year_label_y)
        for tick in self.ticks:
            parts.append(
                f'<line class="grid" x1="{n(tick.x)}" x2="{n(tick.x)}" y1="{top}" y2="{bottom}" />'
            )
            if tick.label:
                parts.append(
                    f'<text class="year" x="{n(tick.label_x)}" y="{year_y}" '
                    f'text-anchor="middle">{escape(tick.label)}</text>'
                )
        today = n(self.today_x)
        parts.append(
            f'<line class="axis" x1="{left}" x2="{n(self.plot_right)}" y1="{bottom}" '
            f'y2="{bottom}" />'
            f'<line class="today" x1="{today}" x2="{today}" y1="{n(self.today_top)}" '
            f'y2="{bottom}" />'
            f'<text class="today-label" x="{today}" y="{n(self.today_label_y)}" '
            'text-anchor="end">Today</text>'
        )
        for marker in self.markers:
            if marker.shape == "circle":
                shape = (
                    f'<circle cx="{n(marker.cx)}" cy="{n(marker.cy)}" r="{n(marker.r)}" '
                    f'fill="{marker.fill}" />'
                )
            else:
                shape = f'<polygon points="{marker.points}" fill="{marker.fill}" />'
            parts.append(
                f'<g class="marker marker-{escape(marker.symbol.lower())}">'
                f"<title>{escape(marker.title)}</title>{shape}</g>"
            )
        parts.append("</svg>")
        return mark_safe("".join(parts))  # every text placed above is escaped


def build_timeline(
    events: Iterable[TimelineEvent],
    today: datetime.date,
    lanes: Sequence[str] = (),
    subject: str = "",
) -> Timeline | None:
    """Lay out `events` on one lane per distinct `lane`, years on the x axis; None when empty.

    `lanes` fixes the order of the lanes (those without events are dropped); lanes not listed
    follow in order of first appearance. `subject` names what the chart is about, for its label.
    """
    events = sorted(events, key=lambda event: event.date)
    if not events:
        return None
    lane_order = [label for label in lanes if any(e.lane == label for e in events)]
    for event in events:
        if event.lane not in lane_order:
            lane_order.append(event.lane)

    start_year = min(events[0].date.year, today.year - MIN_YEARS)
    end_year = max(events[-1].date.year, today.year) + 1
    start, end = datetime.date(start_year, 1, 1), datetime.date(end_year, 1, 1)
    plot_left, plot_right = float(LANE_LABEL_WIDTH), float(WIDTH - RIGHT_PADDING)
    plot_top = float(TOP_PADDING)
    plot_bottom = plot_top + LANE_HEIGHT * len(lane_order)
    span_days = (end - start).days

    def x_of(date: datetime.date) -> float:
        return plot_left + (date - start).days / span_days * (plot_right - plot_left)

    lane_rows = [
        Lane(
            label=label,
            y=plot_top + index * LANE_HEIGHT,
            centre=plot_top + (index + 0.5) * LANE_HEIGHT,
            height=LANE_HEIGHT,
            label_y=plot_top + (index + 0.5) * LANE_HEIGHT + 4.5,
            label_lines=_label_lines(label, plot_top + (index + 0.5) * LANE_HEIGHT),
        )
        for index, label in enumerate(lane_order)
    ]
    centre_of = {lane.label: lane.centre for lane in lane_rows}

    # Thin the labels on long histories so they never collide; gridlines stay yearly.
    years = end_year - start_year
    step = 1 if years <= 16 else 2 if years <= 32 else 5
    year_width = (plot_right - plot_left) / years
    ticks = [
        Tick(
            x=round(x_of(datetime.date(year, 1, 1)), 2),
            label=str(year) if (year - start_year) % step == 0 else "",
            label_x=round(x_of(datetime.date(year, 1, 1)) + year_width / 2, 2),
        )
        for year in range(start_year, end_year)
    ]

    markers = []
    last_x_at_level: dict[str, list[float]] = {label: [] for label in lane_order}
    for event in events:
        style = MARKER_STYLES.get(event.symbol, OTHER_STYLE)
        x = x_of(event.date)
        level = _stack_level(last_x_at_level[event.lane], x)
        y = centre_of[event.lane] + _STACK_OFFSETS[level]
        markers.append(
            Marker(
                date=event.date,
                symbol=event.symbol,
                shape=style.shape,
                fill=style.fill,
                cx=round(x, 2),
                cy=round(y, 2),
                r=MARKER_RADIUS,
                points=_points(style.shape, x, y, MARKER_RADIUS),
                title=event.title,
            )
        )

    return Timeline(
        width=WIDTH,
        height=plot_bottom + AXIS_HEIGHT,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        start=start,
        end=end,
        today_x=round(x_of(today), 2),
        lanes=lane_rows,
        ticks=ticks,
        markers=markers,
        legend=_legend({event.symbol for event in events}),
        summary=_summary(events, subject, start_year, end_year - 1),
    )


def label_width(text: str) -> float:
    """A generous estimate of `text`'s width in viewBox units at the lane labels' font: capitals
    and digits are counted wider than lower case, so the estimate errs on the wide side."""
    wide = sum(1 for char in text if char.isupper() or char.isdigit() or char in "MW")
    return LABEL_FONT_SIZE * (0.72 * wide + 0.56 * (len(text) - wide))


def _label_lines(label: str, centre: float) -> tuple[LabelLine, ...]:
    """`label` in as few lines as fit `_LABEL_ROOM`, centred on the lane: words are wrapped,
    and a word still too wide is shortened with an ellipsis (the lane's records say the rest)."""
    lines: list[str] = []
    for word in label.split():
        if lines and label_width(f"{lines[-1]} {word}") <= _LABEL_JOIN:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    lines = lines[:2] if len(lines) <= 2 else [lines[0], " ".join(lines[1:])]
    fitted = []
    for line in lines:
        while label_width(line) > _LABEL_ROOM and len(line) > 2:
            line = line[:-2] + "…"
        fitted.append(line)
    first_baseline = centre + 4.5 - (len(fitted) - 1) * LABEL_LINE_HEIGHT / 2
    return tuple(
        LabelLine(text, round(first_baseline + n * LABEL_LINE_HEIGHT, 2))
        for n, text in enumerate(fitted)
    )


def _stack_level(last_x_at_level: list[float], x: float) -> int:
    """The first stacking level free at `x`, or the least crowded one when all are taken."""
    for level, last_x in enumerate(last_x_at_level):
        if x - last_x >= _MIN_GAP:
            last_x_at_level[level] = x
            return level
    if len(last_x_at_level) < len(_STACK_OFFSETS):
        last_x_at_level.append(x)
        return len(last_x_at_level) - 1
    level = min(range(len(last_x_at_level)), key=last_x_at_level.__getitem__)
    last_x_at_level[level] = x
    return level


def _points(shape: str, x: float, y: float, r: float) -> str:
    """SVG polygon points for `shape` centred on (x, y), sized to read like a circle of radius r."""
    if shape == "circle":
        return ""
    if shape == "triangle":
        corners = [(x, y - r * 1.15), (x + r * 1.1, y + r * 0.85), (x - r * 1.1, y + r * 0.85)]
    elif shape == "diamond":
        corners = [(x, y - r * 1.25), (x + r * 1.1, y), (x, y + r * 1.25), (x - r * 1.1, y)]
    elif shape == "square":
        s = r * 0.9
        corners = [(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)]
    elif shape == "cross":
        a, b = r * 1.1, r * 0.38
        corners = [
            (x - b, y - a), (x + b, y - a), (x + b, y - b), (x + a, y - b),
            (x + a, y + b), (x + b, y + b), (x + b, y + a), (x - b, y + a),
            (x - b, y + b), (x - a, y + b), (x - a, y - b), (x - b, y - b),
        ]  # fmt: skip
    else:  # star
        corners = []
        for i in range(10):
            radius = r * 1.3 if i % 2 == 0 else r * 0.55
            angle = math.pi / 5 * i - math.pi / 2
            corners.append((x + radius * math.cos(angle), y + radius * math.sin(angle)))
    return " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py in corners)


def _legend(symbols: set[str]) -> list[LegendEntry]:
    """Legend entries for the symbols on the chart, in the fixed order of MARKER_STYLES."""
    styles = [style for symbol, style in MARKER_STYLES.items() if symbol in symbols]
    if symbols - MARKER_STYLES.keys():
        styles.append(OTHER_STYLE)
    return [
        LegendEntry(style.label, style.shape, style.fill, _points(style.shape, 8, 8, 5.5))
        for style in styles
    ]


def _summary(events: list[TimelineEvent], subject: str, start_year: int, end_year: int) -> str:
    """One sentence a screen reader announces for the chart; the table below has the details."""
    counts = Counter(event.symbol for event in events)
    inspections = [s for s in Classification.values if counts[s]]
    actions = [s for s in ActionType.values if counts[s]]
    parts = []
    if inspections:
        total = sum(counts[s] for s in inspections)
        detail = ", ".join(f"{counts[s]} {s}" for s in inspections)
        parts.append(f"{_plural(total, 'inspection record')} ({detail})")
    if actions:
        total = sum(counts[s] for s in actions)
        detail = ", ".join(f"{counts[s]} {in_sentence(MARKER_STYLES[s].label)}" for s in actions)
        parts.append(f"{_plural(total, 'regulatory action')} ({detail})")
    about = f" for {subject}" if subject else ""
    return f"Regulatory timeline{about}, {start_year} to {end_year}: {' and '.join(parts)}."


def in_sentence(label: str) -> str:
    """A label as it reads mid-sentence: 'warning letter', but 'EU statement' keeps its acronym."""
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")
