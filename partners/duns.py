"""D-U-N-S numbers: nine digits that identify a business location, written one way."""

import re

_NON_DIGITS = re.compile(r"\D")


def normalize_duns(value: object) -> str:
    """Return the DUNS number as its nine digits, or "" when there is none.

    Separators are dropped ("15-048-3782" is "150483782"); a number that lost its leading
    zeros in a spreadsheet gets them back. All zeros is no number.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = _NON_DIGITS.sub("", str(value))
    if not digits.strip("0"):
        return ""
    return digits.zfill(9) if len(digits) < 9 else digits
