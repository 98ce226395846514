"""A brief's must-haves item by item, as the pages and the records read them: "EU GMP certificate",
"US market", "Sterile injectable".

Each item of a brief's dosage forms, services, technologies, target markets and required
certifications is a must-have or a nice-to-have of its own (Brief.must_have_items). A brief
saved with a must-have on a whole criterion (capability, markets, certifications) reads as a
must-have on each of its items, as the engine and the migration that introduced per-item
must-haves treat it.
"""

from typing import Any

from matching.engine.criteria import ITEM_LISTS, TERM_SETS
from matching.validation import per_item_must_haves
from partners.choices import CertificationKind


def item_label(list_name: str, code: str, term_names: dict[str, str] | None = None) -> str:
    """One item as a sentence names it: a term by its name, "US market", a certificate's kind."""
    if list_name == "target_markets":
        return f"{code} market"
    if list_name == "required_certifications":
        labels = dict(CertificationKind.choices)
        return str(labels.get(code, code))
    return (term_names or {}).get(code, code)


def item_lists(brief: Any) -> dict[str, list[tuple[str, bool]]]:
    """Each list of ITEM_LISTS: its items as (label, must-have), in the brief's order (terms by
    name). Term sets are read through `.all()`, so a caller's prefetch serves them."""
    terms = {name: sorted(getattr(brief, name).all(), key=lambda t: t.name) for name in TERM_SETS}
    must = _must_have_codes(brief, terms)
    lists: dict[str, list[tuple[str, bool]]] = {}
    for name in ITEM_LISTS:
        if name in TERM_SETS:
            lists[name] = [(term.name, term.slug in must.get(name, ())) for term in terms[name]]
        else:
            codes = getattr(brief, name) or []
            lists[name] = [(item_label(name, code), code in must.get(name, ())) for code in codes]
    return lists


def must_have_item_labels(brief: Any) -> list[str]:
    """Every item must-have of the brief, in ITEM_LISTS order: ["EU GMP certificate", ...]."""
    return [label for items in item_lists(brief).values() for label, must in items if must]


def _must_have_codes(brief: Any, terms: dict[str, list[Any]]) -> dict[str, list[str]]:
    return per_item_must_haves(
        {
            "must_haves": brief.must_haves,
            "must_have_items": brief.must_have_items,
            "target_markets": brief.target_markets,
            "required_certifications": brief.required_certifications,
            **terms,
        }
    )[1]
