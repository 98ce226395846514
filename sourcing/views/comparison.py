"""Two to six candidates of a shortlist side by side (sourcing/comparison.py), as a page and as
a CSV or XLSX file: `?c=<candidate id>` repeated names them, `&differ=1` keeps the rows where
they differ.

The shortlist is looked up through `for_user` (another organisation's is a 404); viewers may
read and export. A choice of fewer than two or more than six candidates, of a number that is no
candidate's id (too large for one included), or of one not on the shortlist, is a 400 showing
the page's picker with the message beside it.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from sourcing import comparison as comparisons
from sourcing import exports
from sourcing.models import Shortlist
from sourcing.views.shortlists import _export_format

NOT_A_NUMBER = "Candidates are chosen by their number; “{value}” is not one."


def chosen_ids(values: list[str]) -> list[int]:
    """The candidate ids given (`c`, repeated), without repeats; a ValidationError on
    `candidates` for one that is not a whole number."""
    ids = []
    for value in values:
        try:
            ids.append(int(value))
        except ValueError:
            raise ValidationError({"candidates": NOT_A_NUMBER.format(value=value[:20])}) from None
    return list(dict.fromkeys(ids))


def _shortlist(request: HttpRequest, pk: int) -> Shortlist:
    return get_object_or_404(
        Shortlist.objects.for_user(request.user).select_related("brief", "organisation"), pk=pk
    )


def _picker(shortlist: Shortlist, chosen: list[int]) -> list[dict[str, Any]]:
    """Every candidate of the shortlist, each marked when chosen, for the form that picks."""
    return [
        {
            "id": candidate.pk,
            "site_name": candidate.site_name,
            "provider_name": candidate.provider_name,
            "stage_label": candidate.get_stage_display(),
            "chosen": candidate.pk in chosen,
        }
        for candidate in shortlist.candidates.order_by("created_at", "id")
    ]


def _refused(
    request: HttpRequest, shortlist: Shortlist, error: ValidationError, chosen: list[int]
) -> HttpResponse:
    messages = error.message_dict.get("candidates") or error.messages
    return render(
        request,
        "sourcing/comparison.html",
        {
            "shortlist": shortlist,
            "comparison": None,
            "errors": messages,
            "picker": _picker(shortlist, chosen),
            "only_differ": request.GET.get("differ") == "1",
            "min_candidates": comparisons.MIN_CANDIDATES,
            "max_candidates": comparisons.MAX_CANDIDATES,
        },
        status=400,
    )


@login_required
@require_GET
def compare(request: HttpRequest, pk: int) -> HttpResponse:
    """The chosen candidates side by side, one column each, with the picker to change them."""
    shortlist = _shortlist(request, pk)
    chosen: list[int] = []
    try:
        chosen = chosen_ids(request.GET.getlist("c"))
        comparison = comparisons.build(shortlist, chosen, request.user)
    except ValidationError as error:
        return _refused(request, shortlist, error, chosen)
    only_differ = request.GET.get("differ") == "1"
    shown = comparisons.only_differing(comparison) if only_differ else comparison
    query = urlencode([("c", candidate["id"]) for candidate in comparison["candidates"]])
    return render(
        request,
        "sourcing/comparison.html",
        {
            "shortlist": shortlist,
            "comparison": shown,
            "compared": len(comparison["candidates"]),
            "hidden_rows": sum(len(g["rows"]) for g in comparison["groups"])
            - sum(len(g["rows"]) for g in shown["groups"]),
            "only_differ": only_differ,
            "query": query,
            "picker": _picker(shortlist, chosen),
            "min_candidates": comparisons.MIN_CANDIDATES,
            "max_candidates": comparisons.MAX_CANDIDATES,
        },
    )


@login_required
@require_GET
def compare_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    """The comparison as CSV or XLSX (every row, whatever the page shows), logged."""
    fmt = _export_format(fmt)
    shortlist = _shortlist(request, pk)
    chosen: list[int] = []
    try:
        chosen = chosen_ids(request.GET.getlist("c"))
        comparison = comparisons.build(shortlist, chosen, request.user)
    except ValidationError as error:
        return _refused(request, shortlist, error, chosen)
    exports.record_export(shortlist, request.user, fmt, compared=comparison["candidates"])
    table = exports.comparison_table(comparison, name=f"shortlist-{shortlist.pk}-comparison")
    return exports.download(table, fmt)
