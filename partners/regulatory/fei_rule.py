"""The linking rule: which of the sites carrying an FEI a regulator record belongs to
(partners/regulatory/linking.py applies it). Plain Python over the holders' names, so that the
models, the relink and the importers decide alike; it imports no model.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

# Words of a firm's legal form, dropped from the end of its name: "Acme Pharma, Inc." and
# "ACME PHARMA" are the same firm to a curator, and FDA's files write names both ways.
LEGAL_FORMS = frozenset(
    """
    inc incorporated corp corporation co company cos llc lc llp lp ltd limited plc pvt private
    pty gmbh mbh ag kg kgaa ohg se sa sas sarl srl spa sl slu sro as aps ab oy oyj bv nv kk ulc
    """.split()  # noqa: SIM905 (a list of words reads better as words)
)
_NON_WORD = re.compile(r"[\W_]+")
# A parenthesised ending that tells apart two sites of one firm: "Tyson Foods, Inc (Oglethorpe)".
_TRAILING_PARENTHESIS = re.compile(r"\s*\([^()]*\)\s*$")


def firm_name_key(name: str) -> str:
    """A firm name as compared by the linking rule: case, accents, punctuation, a leading "the"
    and trailing legal forms ("Inc", "Co., Ltd.", "GmbH & Co. KG") dropped.

    "Acme Pharma, Inc." and "ACME PHARMA INC" both give "acme pharma"; names in other scripts
    keep their letters. A name made only of legal forms keeps them, so that it still compares.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    # "S.A." and "L.L.C." are one word each; other punctuation separates words.
    words = _NON_WORD.sub(" ", text.replace(".", "").replace("&", " ")).split()
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    end = len(words)
    while end > 1 and words[end - 1] in LEGAL_FORMS:
        end -= 1
    return " ".join(words[:end])


@dataclass(frozen=True)
class FeiHolder:
    """A site carrying an FEI, with the names the rule compares a record's legal name to."""

    site_id: int
    site_name: str
    provider_name: str
    # The site's name without a parenthesised ending, when it has one: the firm's name.
    site_firm_name: str = ""


class FeiHolders:
    """The sites carrying some FEIs, and the site each record of those FEIs belongs to."""

    def __init__(self, rows: Iterable[tuple[str, int, str, str]]) -> None:
        """`rows`: (FEI, site id, site name, provider name) for every site carrying the FEIs."""
        self.by_fei: dict[str, list[FeiHolder]] = defaultdict(list)
        for fei, site_id, site_name, provider_name in rows:
            if fei:
                without_ending = _TRAILING_PARENTHESIS.sub("", site_name)
                self.by_fei[fei].append(
                    FeiHolder(
                        site_id,
                        firm_name_key(site_name),
                        firm_name_key(provider_name),
                        firm_name_key(without_ending) if without_ending != site_name else "",
                    )
                )

    @staticmethod
    def rows_of(sites: QuerySet) -> QuerySet:
        """(FEI, site id, site name, provider name) of these sites that carry an FEI."""
        # Saying `fei_number <> ''` lets the databases use the index on the FEI.
        return sites.exclude(fei_number="").values_list(
            "fei_number", "pk", "name", "provider__name"
        )

    @classmethod
    def of_sites(cls, sites: QuerySet) -> "FeiHolders":
        """The holders among these sites (a queryset of sites): one query."""
        return cls(cls.rows_of(sites))

    def is_shared(self, fei: str) -> bool:
        return len(self.by_fei.get(fei, ())) > 1

    def site_for(self, fei: str, legal_name: str) -> int | None:
        """The site a record naming `fei` under `legal_name` belongs to, or None."""
        holders = self.by_fei.get(fei, ())
        if len(holders) == 1:
            return holders[0].site_id
        key = firm_name_key(legal_name)
        if not holders or not key:
            return None
        for name in ("site_name", "site_firm_name", "provider_name"):
            matching = [holder for holder in holders if getattr(holder, name) == key]
            if len(matching) == 1:
                return matching[0].site_id
            if matching:  # several holders of that name: none can be told apart
                return None
        return None
