"""Keep matching, on a brief's page: whether the brief is kept (re-run when the catalogue changes,
at most daily, its owners told what changed), its latest re-run and the comparison it made, and
for those who may change the brief, the switch.

The brief's page (matching) loads this as a fragment (htmx), as it loads the "add to shortlist"
control: matching never imports sourcing. Without htmx the same address is a page of its own.
The brief is looked up through `for_user` (another organisation's is a 404); the switch is a
POST that needs a role that may change (a 403 for viewers) and says which value is wrong.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from core.choices import JobStatus
from core.http import HtmxHttpRequest
from matching import quotas
from matching.models import Brief
from matching.roles import can_change, require_change
from matching.tasks import send_run
from sourcing import kept_briefs

KEEP_CHOICES = {"on": True, "off": False}
BAD_CHOICE = "Keep matching: say “on” or “off”."


@login_required
@require_http_methods(["GET", "POST"])
def keep_matching(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the brief's "Keep matching" panel. POST `keep` = on | off: keep it or stop."""
    brief = get_object_or_404(
        Brief.objects.for_user(request.user).select_related("organisation"), pk=pk
    )
    error, status = "", 200
    if request.method == "POST":
        require_change(request.user)
        choice = request.POST.get("keep", "")
        if choice not in KEEP_CHOICES:
            error, status = BAD_CHOICE, 400
        elif KEEP_CHOICES[choice]:
            try:
                run = kept_briefs.keep(brief, request.user)
            except quotas.QuotaExceeded as refused:
                # Its first run would pass the organisation's limit: nothing is kept.
                error, status = f"Not kept: {refused.message}", 429
            else:
                if run is not None:
                    send_run(run.pk)
            done = f"“{brief.title}” is kept matching."
        else:
            kept_briefs.stop_keeping(brief)
            done = f"“{brief.title}” is no longer kept matching."
        if not error and not request.htmx:
            messages.success(request, done)
            return redirect(brief)
    context = _context(request, brief, error)
    if request.htmx:
        return render(request, "sourcing/_kept_brief.html", context, status=status)
    return render(request, "sourcing/kept_brief.html", context, status=status)


def _context(request: HtmxHttpRequest, brief: Brief, error: str) -> dict:
    kept = kept_briefs.kept_brief_of(brief)
    active = kept is not None and kept.active
    last_run = kept.last_run if active and kept is not None else None
    baseline = kept.baseline_run if active and kept is not None else None
    compared = (
        last_run is not None
        and baseline is not None
        and last_run.status == JobStatus.DONE
        and baseline.status == JobStatus.DONE
    )
    return {
        "brief": brief,
        "kept": kept if active else None,
        "last_run": last_run,
        "baseline": baseline,
        "compared": compared,
        "can_change": can_change(request.user),
        "error": error,
    }
