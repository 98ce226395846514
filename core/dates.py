"""Calendar arithmetic on dates, shared by the compliance score, the matching index and the demo
generator. No Django here."""

import datetime


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` earlier (28 February for 29 February); a negative `years`
    counts forward."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def years_after(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` later (28 February for 29 February)."""
    return years_before(day, -years)
