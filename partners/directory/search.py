"""Directory search: finds providers, and sites, by what buyers type.

A query is read as a few units, every one of which must match (anywhere in the provider: its
own text, any of its sites, any site's capabilities; for a site, the site, its provider or its
capabilities):

- a capability phrase: a term's name or one of its synonyms of several words ("monoclonal
  antibody", "fill-finish", "oral solid dose"), matched whole;
- a country's name ("Germany", "United Kingdom", "UK"): a site there, or headquarters there;
- a number of six digits or more: a site identifier (its FEI or DUNS number;
  `SITE_IDENTIFIER_FIELDS`);
- any other word: the provider's name and description, its sites' names and cities, and the
  capability terms whose name or synonym (partners/vocabulary.py `TERM_SYNONYMS`) it starts, so
  `mAb`, `monoclonal` and `antibod` all find the providers of monoclonal antibodies.

Typos: a word of five letters or more that starts no word of the catalogue (provider and site
names, cities, capability names and synonyms) is also searched as its closest catalogue words
(difflib), so `sevrn` finds "Severn" and `monoclonl` finds "monoclonal". The catalogue's words
are kept per process until the catalogue changes.

PostgreSQL: full-text search over each table's words (provider name and description, site name
and city; expression GIN indexes of migration 0009), a typed word as a prefix; a word the
catalogue does not know at all is also looked for by trigram word similarity (pg_trgm, GIN
trigram indexes), and names are ranked by it. SQLite: the same fields by a word-start substring
match.

Relevance (the `search_rank` annotation): an exact name first, then names starting with the
query, then names like it, then every other match by name.
"""

import bisect
import dataclasses
import difflib
import functools
import json
import re
from dataclasses import dataclass
from itertools import chain

from django.db import connection, transaction
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import Combinable, RawSQL
from django_countries import countries

from partners.catalogue_version import CatalogueCache
from partners.duns import normalize_duns
from partners.fei import normalize_fei
from partners.models import Provider, Site, SiteCapability, Term
from partners.vocabulary import CAPABILITY_TERMS, TERM_SYNONYMS

# Site fields holding an identifier a buyer may paste whole, each with how it is stored.
SITE_IDENTIFIER_FIELDS = {"fei_number": normalize_fei, "duns_number": normalize_duns}
# The fewest digits read as an identifier rather than a word (FEIs have 7 to 10, DUNS 9).
IDENTIFIER_MIN_DIGITS = 6
# Words this short are never corrected: too many words are one letter away from them.
CORRECTION_MIN_LENGTH = 5
CORRECTION_CUTOFF = 0.8  # difflib ratio: one wrong, missing or extra letter in five
CORRECTIONS_PER_WORD = 3
# A query is cut to its first units: a pasted paragraph must not build a huge query.
MAX_UNITS = 8
# Words that find nothing on their own; the labels of identifiers ("FEI 3001234567") too.
STOPWORDS = frozenset(
    {"a", "an", "and", "by", "for", "in", "of", "or", "the", "to", "with", "fei", "duns"}
)

_WORD = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"\d[\d\s.\-/]*\d")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _term_phrases() -> tuple[dict[tuple[str, ...], set[str]], dict[str, set[str]]]:
    """The shipped terms' names and synonyms: phrases of several words, and single words."""
    phrases: dict[tuple[str, ...], set[str]] = {}
    words: dict[str, set[str]] = {}
    for terms in CAPABILITY_TERMS.values():
        for slug, name in terms:
            for text in (name, *TERM_SYNONYMS.get(slug, ())):
                tokens = tuple(_words(text))
                if len(tokens) > 1:
                    phrases.setdefault(tokens, set()).add(slug)
                if len(tokens) == 1 or text == name:
                    # A name's words each find the term ("lipid" finds mRNA / lipid
                    # nanoparticle); a synonym of several words is found only whole.
                    for token in tokens:
                        if token not in STOPWORDS:
                            words.setdefault(token, set()).add(slug)
    return phrases, words


# What buyers call a country besides its name.
COUNTRY_ALIASES = {
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "usa": "US",
    "united states": "US",
    "america": "US",
    "holland": "NL",
    "czechia": "CZ",
}


@functools.cache
def country_phrases() -> tuple[dict[tuple[str, ...], set[str]], list[tuple[str, ...]]]:
    """Country names (and aliases) as word sequences -> ISO codes, and those sequences longest
    first. Read on first use: the names are translations, ready once Django is."""
    phrases: dict[tuple[str, ...], set[str]] = {}
    for code, name in countries:
        phrases.setdefault(tuple(_words(str(name))), set()).add(code)
    for alias, code in COUNTRY_ALIASES.items():
        phrases.setdefault(tuple(_words(alias)), set()).add(code)
    return phrases, sorted(phrases, key=len, reverse=True)


TERM_PHRASES, TERM_WORDS = _term_phrases()

_PHRASES_LONGEST_FIRST = sorted(TERM_PHRASES, key=len, reverse=True)
_SORTED_TERM_WORDS = sorted(TERM_WORDS)


@dataclass(frozen=True)
class SearchUnit:
    """One thing the query asks for: all of a query's units must match."""

    text: str  # the phrase or word, lower case
    spellings: tuple[str, ...]  # `text` and its corrections, each searched as text
    term_slugs: frozenset[str]  # shipped capability terms it names
    identifier: str = ""  # digits, for a site identifier
    countries: frozenset[str] = frozenset()  # ISO codes of the country it names
    # A word that starts no catalogue word and is close to none: on PostgreSQL, names and
    # cities are then also searched by trigram similarity, the net for what difflib missed.
    unknown: bool = False

    @property
    def is_phrase(self) -> bool:
        return " " in self.text


@dataclass(frozen=True)
class CatalogueWords:
    """The words of the catalogue's names, cities and capability terms, sorted."""

    words: list[str]
    by_length: dict[int, list[str]]
    # What a query found in this catalogue: (kind, query) -> ids (`_memoized`).
    memo: dict[tuple[str, str], tuple[int, ...]] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )

    def starts_a_word(self, prefix: str) -> bool:
        position = bisect.bisect_left(self.words, prefix)
        return position < len(self.words) and self.words[position].startswith(prefix)

    def corrections(self, word: str) -> list[str]:
        """The catalogue's closest words to a word that starts none of them."""
        if len(word) < CORRECTION_MIN_LENGTH or word.isdigit() or self.starts_a_word(word):
            return []
        candidates = chain.from_iterable(
            self.by_length.get(length, ()) for length in range(len(word) - 2, len(word) + 3)
        )
        return difflib.get_close_matches(
            word, list(candidates), n=CORRECTIONS_PER_WORD, cutoff=CORRECTION_CUTOFF
        )


def _build_catalogue_words(version: str, today) -> CatalogueWords:
    texts = chain(
        Provider.objects.order_by().values_list("name", flat=True),
        Site.objects.order_by().values_list("name", flat=True).distinct(),
        Site.objects.order_by().exclude(city="").values_list("city", flat=True).distinct(),
        Term.objects.order_by().values_list("name", flat=True),
    )
    words = {word for text in texts for word in _words(text) if not word.isdigit()}
    words.update(TERM_WORDS)
    ordered = sorted(word for word in words if len(word) >= 3)
    by_length: dict[int, list[str]] = {}
    for word in ordered:
        by_length.setdefault(len(word), []).append(word)
    return CatalogueWords(ordered, by_length)


_catalogue_words = CatalogueCache(_build_catalogue_words)


def catalogue_words() -> CatalogueWords:
    return _catalogue_words.get()


def _terms_starting_with(word: str) -> set[str]:
    """Slugs of the shipped terms one of whose words is `word` or, from four letters, starts
    with it."""
    slugs = set(TERM_WORDS.get(word, ()))
    if len(word) >= 4:
        position = bisect.bisect_left(_SORTED_TERM_WORDS, word)
        while position < len(_SORTED_TERM_WORDS) and _SORTED_TERM_WORDS[position].startswith(word):
            slugs |= TERM_WORDS[_SORTED_TERM_WORDS[position]]
            position += 1
    return slugs


def parse_query(text: str, vocabulary: CatalogueWords | None = None) -> list[SearchUnit]:
    """The units of a query (see the module's docstring), at most MAX_UNITS of them."""
    units: list[SearchUnit] = []
    for number in _NUMBER.findall(text):
        digits = normalize_fei(number)
        if len(re.sub(r"\D", "", number)) >= IDENTIFIER_MIN_DIGITS and digits:
            units.append(SearchUnit(digits, (digits,), frozenset(), identifier=digits))
            text = text.replace(number, " ", 1)
    tokens = _words(text)
    taken = [False] * len(tokens)

    def take(phrase: tuple[str, ...]) -> bool:
        size = len(phrase)
        for start in range(len(tokens) - size + 1):
            span = range(start, start + size)
            if tuple(tokens[start : start + size]) == phrase and not any(taken[i] for i in span):
                for i in span:
                    taken[i] = True
                return True
        return False

    for phrase in _PHRASES_LONGEST_FIRST:
        if take(phrase):
            words = " ".join(phrase)
            units.append(SearchUnit(words, (words,), frozenset(TERM_PHRASES[phrase])))
    country_codes, country_names = country_phrases()
    for phrase in country_names:
        if take(phrase):
            words = " ".join(phrase)
            codes = frozenset(country_codes[phrase])
            units.append(SearchUnit(words, (words,), frozenset(), countries=codes))
    remaining = [token for token, done in zip(tokens, taken, strict=True) if not done]
    meaningful = [token for token in remaining if token not in STOPWORDS]
    if not meaningful and not units:  # a query of stopwords alone ("the") is taken as typed
        meaningful = remaining
    if meaningful and vocabulary is None:
        vocabulary = catalogue_words()
    for word in dict.fromkeys(meaningful):  # each word once, in order
        corrections = vocabulary.corrections(word) if vocabulary else []
        slugs = _terms_starting_with(word)
        for correction in corrections:
            slugs |= _terms_starting_with(correction)
        unknown = not corrections and not (vocabulary and vocabulary.starts_a_word(word))
        units.append(SearchUnit(word, (word, *corrections), frozenset(slugs), unknown=unknown))
    return units[:MAX_UNITS]


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _text_matches(fields: tuple[str, ...], unit: SearchUnit) -> Q:
    """Any of the text fields has one of the unit's spellings at the start of a word (SQLite;
    and terms' names on both databases: the vocabulary is small)."""
    condition = Q()
    for field in fields:
        for spelling in unit.spellings:
            condition |= Q(**{f"{field}__istartswith": spelling})
            condition |= Q(**{f"{field}__icontains": f" {spelling}"})
    return condition


def _trigram_matches(fields: tuple[str, ...], unit: SearchUnit) -> Q:
    """PostgreSQL: any of the fields has a word like the unit's (pg_trgm word similarity, `%>`,
    answered by the GIN trigram indexes of migration 0009)."""
    # The lookup's class, not `__trigram_word_similar`: that name is registered only when
    # django.contrib.postgres is an installed app.
    from django.contrib.postgres.lookups import TrigramWordSimilar

    condition = Q()
    for field in fields:
        condition |= Q(TrigramWordSimilar(F(field), unit.text))
    return condition


def _full_text(queryset: QuerySet, fields: tuple[str, ...], unit: SearchUnit) -> QuerySet:
    """PostgreSQL: rows whose fields' words (the `simple` configuration: no stemming, names are
    not English) have the unit: a phrase whole, a word as a prefix, a correction as a prefix.

    The document is the expression of a GIN index of migration 0009, written identically.
    """
    from django.contrib.postgres.search import SearchQuery, SearchVector

    if unit.is_phrase:
        query = SearchQuery(unit.text, search_type="phrase", config="simple")
    else:
        # Words are letters and digits only (`_WORD`), so they are safe in a raw tsquery.
        raw = " | ".join(f"{spelling}:*" for spelling in unit.spellings)
        query = SearchQuery(raw, search_type="raw", config="simple")
    document = SearchVector(*fields, config="simple")
    return queryset.annotate(search_document=document).filter(search_document=query)


def _identifier_matches(unit: SearchUnit, prefix: str = "") -> Q:
    condition = Q()
    for field, stored_as in SITE_IDENTIFIER_FIELDS.items():
        if value := stored_as(unit.identifier):
            condition |= Q(**{f"{prefix}{field}": value})
    return condition


def _capabilities_named(unit: SearchUnit) -> QuerySet:
    """Capability rows of a term the unit names: a shipped term by its slug, or a term a curator
    added or renamed, by its name."""
    terms = Term.objects.filter(Q(slug__in=unit.term_slugs) | _text_matches(("name",), unit))
    return SiteCapability.objects.filter(term__in=terms.values("pk"))


# Each way a unit can match is a subquery of its own, ORed as `id IN (...)` sets: PostgreSQL
# computes each set once, through its index (full text, trigram, FEI, capability term), where
# one OR over several tables' columns would compute text vectors and trigrams row by row.
PROVIDER_TEXT_FIELDS = ("name", "description")
SITE_TEXT_FIELDS = ("name", "city")


def _providers_by_own_text(unit: SearchUnit) -> list[QuerySet | list[int]]:
    """Ids of the providers whose name or description has the unit (or whose headquarters are
    in the country it names)."""
    found: list[QuerySet | list[int]] = []
    if unit.countries:
        found.append(Provider.objects.filter(country__in=unit.countries).values("pk"))
    if not _postgresql():
        found.append(
            Provider.objects.filter(_text_matches(PROVIDER_TEXT_FIELDS, unit)).values("pk")
        )
        return found
    found.append(_through_index(_full_text(Provider.objects.all(), PROVIDER_TEXT_FIELDS, unit)))
    if unit.unknown:
        found.append(Provider.objects.filter(_trigram_matches(("name",), unit)).values("pk"))
    return found


def _through_index(queryset: QuerySet) -> list[int]:
    """PostgreSQL: the ids of a full-text match over providers, read through its GIN index.

    The planner prices `to_tsvector` over every provider's description below the index and
    scans the table instead: about 100 ms at 5,000 providers where the index answers in 5.
    Table scans are discouraged for this one statement (and allowed again after it);
    the ids are read once per query and catalogue version (`_memoized`).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        # Restored after, for a caller's transaction (ATOMIC_REQUESTS, a test) goes on.
        cursor.execute("SELECT current_setting('enable_seqscan')")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT set_config('enable_seqscan', 'off', true)")
        try:
            return list(queryset.values_list("pk", flat=True))
        finally:
            cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])


def _sites_by_own_fields(unit: SearchUnit) -> list[QuerySet]:
    """Sites whose name, city, country or identifier has the unit, or that offer a capability
    it names."""
    if unit.identifier:
        return [Site.objects.filter(_identifier_matches(unit))]
    if unit.countries:
        in_country = Site.objects.filter(country__in=unit.countries)
        return [in_country, Site.objects.filter(_text_matches(SITE_TEXT_FIELDS, unit))]
    by_capability = Site.objects.filter(pk__in=_capabilities_named(unit).values("site_id"))
    if not _postgresql():
        return [Site.objects.filter(_text_matches(SITE_TEXT_FIELDS, unit)), by_capability]
    found = [_full_text(Site.objects.all(), SITE_TEXT_FIELDS, unit), by_capability]
    if unit.unknown:
        found.append(Site.objects.filter(_trigram_matches(SITE_TEXT_FIELDS, unit)))
    return found


MEMO_SIZE = 256


def _memoized(kind: str, text: str, build) -> tuple[int, ...]:
    """The ids a query finds, searched once per catalogue version and query.

    A list page asks for the same search three times (its rows, its count, its facets), and
    buyers page and refine under one query; each then reads the ids instead of searching again.
    The memo lives with the catalogue's words, so a catalogue change empties it.
    """
    vocabulary = catalogue_words()
    key = (kind, text.strip().lower())
    ids = vocabulary.memo.get(key)
    if ids is None:
        if len(vocabulary.memo) >= MEMO_SIZE:
            vocabulary.memo.clear()
        ids = vocabulary.memo[key] = build(parse_query(key[1], vocabulary))
    return ids


# Up to this many ids, SQLite gets them as `IN (%s, ...)`.
SQLITE_INLINE_IDS = 500


def among(ids: tuple[int, ...], field: str = "pk") -> Q:
    """`field` is one of the ids, as one parameter however many ids there are: an array on
    PostgreSQL, a JSON list on SQLite past a few hundred ids (SQLite refuses a statement with
    more than 32,766 parameters, and a directory of every registered establishment lists more)."""
    if _postgresql():
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))})
    if len(ids) > SQLITE_INLINE_IDS:
        return Q(**{f"{field}__in": RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),))})
    return Q(**{f"{field}__in": ids})


def provider_search_ids(text: str) -> tuple[int, ...]:
    """Ids of the providers matching every unit of the query, by their own text or any of their
    sites, in id order."""
    return _memoized("providers", text, _provider_ids)


def site_search_ids(text: str) -> tuple[int, ...]:
    """Ids of the sites matching every unit of the query, by their own fields, their provider's
    name and description, or their capabilities, in id order."""
    return _memoized("sites", text, _site_ids)


def provider_search_condition(text: str) -> Q:
    """Providers matching every unit of the query, by their own text or any of their sites."""
    return among(provider_search_ids(text))


def site_search_condition(text: str) -> Q:
    """Sites matching every unit of the query, by their own fields, their provider's name and
    description, or their capabilities."""
    return among(site_search_ids(text))


def _provider_ids(units: list[SearchUnit]) -> tuple[int, ...]:
    found = Provider.objects.filter(_providers_matching(units)).order_by("pk")
    return tuple(found.values_list("pk", flat=True))


def _site_ids(units: list[SearchUnit]) -> tuple[int, ...]:
    found = Site.objects.filter(_sites_matching(units)).order_by("pk")
    return tuple(found.values_list("pk", flat=True))


def _providers_matching(units: list[SearchUnit]) -> Q:
    condition = Q()
    for unit in units:
        found = Q()
        for sites in _sites_by_own_fields(unit):
            found |= Q(pk__in=sites.values("provider_id"))
        if not unit.identifier:
            for providers in _providers_by_own_text(unit):
                found |= Q(pk__in=providers)
        condition &= found
    return condition


def _sites_matching(units: list[SearchUnit]) -> Q:
    condition = Q()
    for unit in units:
        found = Q()
        for sites in _sites_by_own_fields(unit):
            found |= Q(pk__in=sites.values("pk"))
        if not unit.identifier:
            for providers in _providers_by_own_text(unit):
                found |= Q(provider__in=providers)
        condition &= found
    return condition


def _name_rank(field: str, text: str) -> Combinable:
    """4 for the exact name, 3 for a name starting with the query, plus up to 1 for how alike."""
    exact_or_prefix = Case(
        When(**{f"{field}__iexact": text}, then=Value(4.0)),
        When(**{f"{field}__istartswith": text}, then=Value(3.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    if _postgresql():
        from django.contrib.postgres.search import TrigramWordSimilarity

        return exact_or_prefix + TrigramWordSimilarity(text, field)
    contains = Case(
        When(**{f"{field}__icontains": text}, then=Value(1.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return exact_or_prefix + contains


def provider_relevance(text: str) -> Combinable:
    """The relevance of a provider to the query (higher first), for `search_rank`."""
    return _name_rank("name", text.strip())


def search_sites(queryset: QuerySet, text: str) -> QuerySet:
    """The sites of `queryset` matching the query, annotated with `search_rank`.

    A site matches when every unit of the query (see the module's docstring) is found in the
    site's name, city or FEI number, its capabilities (by name or synonym: `mAb`,
    `monoclonal`), or its provider's name or description; typos are forgiven as in the
    provider search. `search_rank` (`site_relevance`) puts an exact site name or identifier
    first, then an exact provider name or city, then names starting with the query; order by
    `F("search_rank").desc()` then your usual order. A blank query returns `queryset` as it is
    (without the annotation).
    """
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(site_search_condition(text)).annotate(search_rank=site_relevance(text))


def site_relevance(text: str) -> Combinable:
    """The relevance of a site to the query (higher first), for `search_rank`."""
    text = text.strip()
    identifier = normalize_fei(text) if text.replace("-", "").replace(" ", "").isdigit() else ""
    exact = Q(name__iexact=text)
    if identifier:
        exact |= _identifier_matches(SearchUnit(text, (), frozenset(), identifier))
    return Case(
        When(exact, then=Value(8.0)),
        When(Q(provider__name__iexact=text) | Q(city__iexact=text), then=Value(6.0)),
        default=Value(0.0),
        output_field=FloatField(),
    ) + _name_rank("name", text)
