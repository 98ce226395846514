"""Quantities as people read them: thousands separated, no trailing zeros ("2,000 L",
"0.25 kg", "0.001 µg/m³"). Plain Python, so the matching engine writes its sentences with it
as the pages and the API show the same numbers."""

import math


def format_quantity(value: float) -> str:
    """1300.0 -> "1,300"; 2000.5 -> "2,000.5"; 0.25 -> "0.25"; 0.0005 -> "0.0005": thousands
    separated, at most three decimals from 1 up, three significant digits below."""
    if not math.isfinite(value):
        return f"{value:g}"
    if value == int(value):
        return f"{int(value):,}"
    if abs(value) >= 1:
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    places = max(3, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{places}f}".rstrip("0").rstrip(".")
