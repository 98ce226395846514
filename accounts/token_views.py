"""The API tokens page (/accounts/tokens/): list, make (shown once) and revoke tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from accounts import tokens
from accounts.forms import TokenForm


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """The user's tokens; a POST makes one and shows it this once."""
    created = secret = None
    invalid = False
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            created, secret = tokens.create_token(
                request.user,  # type: ignore[arg-type]
                form.cleaned_data["name"],
                form.cleaned_data["days"],
                read_only=form.cleaned_data["read_only"],
            )
            form = TokenForm()
        else:
            invalid = True
    else:
        form = TokenForm()
    response = render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "tokens": tokens.tokens_of(request.user),  # type: ignore[arg-type]
            "created": created,
            "secret": secret,
            "max_days": tokens.max_lifetime_days(),
        },
        status=400 if invalid else 200,
    )
    # The page may hold a token shown once: no cache, no back-button copy, keeps it.
    add_never_cache_headers(response)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    if tokens.revoke_token(request.user, token_key):  # type: ignore[arg-type]
        messages.success(request, "The token is revoked: it no longer works.")
    else:
        messages.error(request, "No such token among yours; it may be revoked or expired.")
    return redirect("accounts:tokens")
