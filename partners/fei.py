"""FDA Establishment Identifiers (FEI): one canonical form, so that records compare as numbers."""

import re

_NON_DIGITS = re.compile(r"\D")
# How FDA's exports and curators write an FEI: digits, with spaces, dashes or dots between groups.
# Anything else ("=1+1", "1/2") is not an FEI, however many digits it holds.
FEI_TEXT = re.compile(r"[\d\s.\-]+")


def normalize_fei(value: object) -> str:
    """Return the FEI as digits without leading zeros, or "" when there is none.

    FDA's exports and curators write the same FEI as "3001234567", "0003001234567" or
    "3001-234-567"; all of them normalise to "3001234567".
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = _NON_DIGITS.sub("", str(value))
    return digits.lstrip("0")
