"""A candidate's quote and attached files as pages: record or revise the quote, attach a file,
download one, delete one. All of them are shown on the candidate's page
(sourcing/views/shortlists.py), which they return to.

The candidate is found through `Candidate.objects.for_user` and the attachment among its own,
so another organisation's is a 404; downloads are for every member, viewers included; changes
need a role that may change (a 403 for viewers), are POSTs, and are made by
sourcing/documents.py, whose errors are shown beside the field they name.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from matching.roles import require_change
from sourcing import documents
from sourcing.forms import AttachmentForm, QuoteForm
from sourcing.models import Attachment, Candidate
from sourcing.views.shortlists import _candidate, _render_candidate

# The forms' ids on the candidate's page (the page has other forms).
QUOTE_IDS = "quote-%s"
ATTACHMENT_IDS = "attachment-%s"


def _attachment(request: HttpRequest, pk: int, cid: int, aid: int) -> Attachment:
    """The attachment of the candidate, itself of the user's organisation."""
    candidates = Candidate.objects.for_user(request.user).filter(pk=cid, shortlist_id=pk)
    return get_object_or_404(
        Attachment.objects.select_related("candidate__shortlist"),
        pk=aid,
        candidate__in=candidates,
    )


@login_required
@require_POST
def quote(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    """Record the provider's quote for the candidate, replacing any before it."""
    candidate = _candidate(request, pk, cid)
    require_change(request.user)
    form = QuoteForm(request.POST, auto_id=QUOTE_IDS)
    saved = None
    if form.is_valid():
        saved = form.apply(documents.save_quote, candidate, request.user, **form.cleaned_data)
    if saved is not None:
        expired = " It has expired already." if saved.expired else ""
        messages.success(request, f"Quote of {candidate.site_name} saved.{expired}")
        return redirect(f"{candidate.get_absolute_url()}#quote-heading")
    # The quote saved before, if any, is unchanged and shown beside the refused form.
    return _render_candidate(request, candidate, extra={"quote_form": form}, status=400)


@login_required
@require_POST
def attach(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    """Attach a file to the candidate."""
    candidate = _candidate(request, pk, cid)
    require_change(request.user)
    form = AttachmentForm(request.POST, request.FILES, auto_id=ATTACHMENT_IDS)
    attached = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload is None:
            form.add_error("file", "Choose a file to attach.")
        else:
            attached = form.apply(
                documents.attach, candidate, request.user, upload, form.cleaned_data["kind"]
            )
    if attached is not None:
        messages.success(request, f"{attached.name} attached.")
        return redirect(f"{candidate.get_absolute_url()}#attachments-heading")
    return _render_candidate(request, candidate, extra={"attachment_form": form}, status=400)


@login_required
@require_GET
def download(request: HttpRequest, pk: int, cid: int, aid: int) -> HttpResponseBase:
    """The attached file, as a download, for any member of the organisation."""
    return documents.file_response(_attachment(request, pk, cid, aid))


@login_required
@require_POST
def detach(request: HttpRequest, pk: int, cid: int, aid: int) -> HttpResponse:
    """Delete an attached file."""
    attachment = _attachment(request, pk, cid, aid)
    require_change(request.user)
    candidate = attachment.candidate
    documents.detach(attachment, request.user)
    messages.success(request, f"{attachment.name} deleted.")
    return redirect(f"{candidate.get_absolute_url()}#attachments-heading")
