"""The API tokens page (/accounts/tokens/): list, make (shown once) and revoke tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import tokens
from accounts.forms import TokenForm
from accounts.models import ApiToken

# The session key that carries a new token from the POST to the page showing it, once: the
# redirect between them keeps a reload from making a second token.
NEW_TOKEN = "accounts:new-api-token"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """The user's tokens; a POST makes one, shown on the next page, and only there."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        made, secret = tokens.create_token(
            request.user,  # type: ignore[arg-type]
            form.cleaned_data["name"],
            form.cleaned_data["days"],
            read_only=form.cleaned_data["read_only"],
        )
        request.session[NEW_TOKEN] = {"digest": made.digest, "token": secret}
        return redirect("accounts:tokens")
    shown = request.session.pop(NEW_TOKEN, None)
    created: ApiToken | None = (
        ApiToken.objects.filter(user=request.user, digest=shown["digest"]).first()
        if shown
        else None
    )
    response = render(
        request,
        "accounts/tokens.html",
        {
            "form": form if form.is_bound else TokenForm(),
            "tokens": tokens.tokens_of(request.user),  # type: ignore[arg-type]
            "created": created,
            "secret": shown["token"] if created and shown else None,
            "max_days": tokens.max_lifetime_days(),
        },
        status=400 if form.is_bound else 200,
    )
    # The page may hold a token shown once: no cache and no stored copy may keep it.
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
