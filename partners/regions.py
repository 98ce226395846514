"""Regions derived from ISO 3166 country codes, used by directory filters and briefs."""

from partners.choices import Region

_REGION_COUNTRIES: dict[str, set[str]] = {
    Region.NORTH_AMERICA: {"US", "CA", "MX", "PR", "BM", "GL", "PM"},
    Region.LATIN_AMERICA: {
        "AR", "BO", "BR", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "HT", "JM", "NI",
        "PA", "PE", "PY", "SV", "TT", "UY", "VE", "BS", "BB", "BZ", "GY", "SR", "AG", "DM",
        "GD", "KN", "LC", "VC", "AW", "CW", "KY", "TC", "VG", "VI", "GP", "MQ", "GF",
    },
    Region.EUROPE: {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "GB",
        "CH", "NO", "IS", "LI", "RS", "BA", "ME", "MK", "AL", "MD", "UA", "BY", "RU", "GI",
        "MC", "SM", "VA", "AD", "FO", "XK", "GE", "AM", "AZ",
    },
    Region.ASIA_PACIFIC: {
        "CN", "JP", "KR", "KP", "TW", "HK", "MO", "MN", "IN", "PK", "BD", "LK", "NP", "BT",
        "MV", "SG", "MY", "TH", "VN", "PH", "ID", "KH", "LA", "MM", "BN", "TL", "AU", "NZ",
        "PG", "FJ", "SB", "VU", "WS", "TO", "KZ", "UZ", "KG", "TJ", "TM", "AF", "NC", "PF",
        "GU",
    },
}  # fmt: skip

_COUNTRY_REGION = {
    country: region for region, countries in _REGION_COUNTRIES.items() for country in countries
}


def region_of(country_code: str) -> str:
    """The region of an ISO 3166 alpha-2 code; Middle East & Africa is everything not listed."""
    return _COUNTRY_REGION.get(country_code.upper(), Region.MIDDLE_EAST_AFRICA)


def countries_in(region: str) -> set[str]:
    """The country codes in a region, among the ISO 3166 codes the catalogue knows."""
    from django_countries import countries

    return {code for code, _ in countries if region_of(code) == region}
