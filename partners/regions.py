"""Regions of the world as the directory, briefs and the API group countries: the UN M49 standard.

The product has five regions. Each is a union of whole regions or sub-regions of M49 (the UN
Statistics Division's "Standard country or area codes for statistical use"), so that anyone can
check a country's region against the standard:

- Northern America (``north-america``) = M49 021 Northern America: the United States, Canada,
  Bermuda, Greenland, Saint Pierre and Miquelon.
- Latin America and the Caribbean (``latin-america``) = M49 419: 029 Caribbean (Puerto Rico,
  Cuba, the US Virgin Islands included), 013 Central America (Mexico included), 005 South America.
- Europe (``europe``) = M49 150 Europe: 151 Eastern, 154 Northern, 039 Southern and 155 Western
  Europe.
- Asia-Pacific (``asia-pacific``) = M49 142 Asia without 145 Western Asia (143 Central Asia,
  030 Eastern Asia, 035 South-eastern Asia, 034 Southern Asia, Iran included) and M49 009
  Oceania (053 Australia and New Zealand, 054 Melanesia, 057 Micronesia, 061 Polynesia).
- Middle East & Africa (``middle-east-africa``) = M49 145 Western Asia (Turkey, Israel, the
  Gulf, and Cyprus, Georgia, Armenia and Azerbaijan) and M49 002 Africa (015 Northern Africa,
  202 Sub-Saharan Africa: 014 Eastern, 017 Middle, 018 Southern and 011 Western Africa).

Two ISO 3166 codes have no M49 sub-region: Taiwan (TW) is counted in Eastern Asia, where ISO
3166 and the UN's statistics for "other Asia" place it, and Antarctica (AQ, M49 010, outside
every region) with Oceania. A code outside ISO 3166 has no region.
"""

from partners.choices import Region

# Shown where regions are chosen or filtered: the directory's region facet, the brief form and
# the API's descriptions of region parameters and fields.
REGION_STANDARD = "Regions follow the UN M49 standard"
REGION_HELP = (
    f"{REGION_STANDARD}: Mexico, Central America and the Caribbean (Puerto Rico included) are "
    "Latin America and the Caribbean; Northern America is the US, Canada, Bermuda, Greenland "
    "and Saint Pierre and Miquelon."
)

# M49 sub-regions by code, each with its ISO 3166 alpha-2 members.
M49_SUBREGIONS: dict[str, frozenset[str]] = {
    # Americas (019)
    "021": frozenset({"BM", "CA", "GL", "PM", "US"}),  # Northern America
    "029": frozenset({  # Caribbean
        "AG", "AI", "AW", "BB", "BL", "BQ", "BS", "CU", "CW", "DM", "DO", "GD", "GP", "HT",
        "JM", "KN", "KY", "LC", "MF", "MQ", "MS", "PR", "SX", "TC", "TT", "VC", "VG", "VI",
    }),
    "013": frozenset({"BZ", "CR", "GT", "HN", "MX", "NI", "PA", "SV"}),  # Central America
    "005": frozenset({  # South America
        "AR", "BO", "BR", "BV", "CL", "CO", "EC", "FK", "GF", "GS", "GY", "PE", "PY", "SR",
        "UY", "VE",
    }),
    # Europe (150)
    "151": frozenset({"BG", "BY", "CZ", "HU", "MD", "PL", "RO", "RU", "SK", "UA"}),  # Eastern
    "154": frozenset({  # Northern Europe
        "AX", "DK", "EE", "FI", "FO", "GB", "GG", "IE", "IM", "IS", "JE", "LT", "LV", "NO",
        "SE", "SJ",
    }),
    "039": frozenset({  # Southern Europe
        "AD", "AL", "BA", "ES", "GI", "GR", "HR", "IT", "ME", "MK", "MT", "PT", "RS", "SI",
        "SM", "VA",
    }),
    "155": frozenset({"AT", "BE", "CH", "DE", "FR", "LI", "LU", "MC", "NL"}),  # Western Europe
    # Asia (142)
    "143": frozenset({"KG", "KZ", "TJ", "TM", "UZ"}),  # Central Asia
    "030": frozenset({"CN", "HK", "JP", "KP", "KR", "MN", "MO", "TW"}),  # Eastern Asia
    "035": frozenset({  # South-eastern Asia
        "BN", "ID", "KH", "LA", "MM", "MY", "PH", "SG", "TH", "TL", "VN",
    }),
    "034": frozenset({"AF", "BD", "BT", "IN", "IR", "LK", "MV", "NP", "PK"}),  # Southern Asia
    "145": frozenset({  # Western Asia
        "AE", "AM", "AZ", "BH", "CY", "GE", "IL", "IQ", "JO", "KW", "LB", "OM", "PS", "QA",
        "SA", "SY", "TR", "YE",
    }),
    # Oceania (009), with Antarctica (010)
    "053": frozenset({"AQ", "AU", "CC", "CX", "HM", "NF", "NZ"}),  # Australia and New Zealand
    "054": frozenset({"FJ", "NC", "PG", "SB", "VU"}),  # Melanesia
    "057": frozenset({"FM", "GU", "KI", "MH", "MP", "NR", "PW", "UM"}),  # Micronesia
    "061": frozenset({"AS", "CK", "NU", "PF", "PN", "TK", "TO", "TV", "WF", "WS"}),  # Polynesia
    # Africa (002)
    "015": frozenset({"DZ", "EG", "EH", "LY", "MA", "SD", "TN"}),  # Northern Africa
    "014": frozenset({  # Eastern Africa
        "BI", "DJ", "ER", "ET", "IO", "KE", "KM", "MG", "MU", "MW", "MZ", "RE", "RW", "SC",
        "SO", "SS", "TF", "TZ", "UG", "YT", "ZM", "ZW",
    }),
    "017": frozenset({"AO", "CD", "CF", "CG", "CM", "GA", "GQ", "ST", "TD"}),  # Middle Africa
    "018": frozenset({"BW", "LS", "NA", "SZ", "ZA"}),  # Southern Africa
    "011": frozenset({  # Western Africa
        "BF", "BJ", "CI", "CV", "GH", "GM", "GN", "GW", "LR", "ML", "MR", "NE", "NG", "SH",
        "SL", "SN", "TG",
    }),
}  # fmt: skip

# The product's regions as unions of M49 sub-regions (the module's docstring says why).
REGION_SUBREGIONS: dict[Region, tuple[str, ...]] = {
    Region.NORTH_AMERICA: ("021",),
    Region.LATIN_AMERICA: ("029", "013", "005"),
    Region.EUROPE: ("151", "154", "039", "155"),
    Region.ASIA_PACIFIC: ("143", "030", "035", "034", "053", "054", "057", "061"),
    Region.MIDDLE_EAST_AFRICA: ("145", "015", "014", "017", "018", "011"),
}

_COUNTRY_REGION: dict[str, str] = {
    country: region.value
    for region, subregions in REGION_SUBREGIONS.items()
    for subregion in subregions
    for country in M49_SUBREGIONS[subregion]
}


def region_of(country_code: str) -> str:
    """The region of an ISO 3166 alpha-2 code; "" for a code outside ISO 3166."""
    return _COUNTRY_REGION.get(country_code.upper(), "")


def countries_in(region: str) -> set[str]:
    """The country codes in a region, among the ISO 3166 codes the catalogue knows."""
    from django_countries import countries

    return {code for code, _ in countries if region_of(code) == region}
