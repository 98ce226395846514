"""Notifications as pages: the list (all or unread, newest first, paged) with "Mark as read"
for each and for all, a notification's link (marked read on the way), the settings, the
unsubscribe page an e-mail links to (no sign-in: the token is the key), and the Watch /
Unwatch control the profile pages load (htmx).

Every notification is looked up through `inbox.of_user`, so another user's is a 404. Marking
read and watching are POSTs that answer htmx with the fragment to swap, and a plain form with a
redirect, so they work without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from partners.models import Provider, Site
from sourcing.models import NotificationSettings, Watch
from sourcing.notifications import inbox
from sourcing.notifications.forms import NotificationSettingsForm

PER_PAGE = 25
# The list's filter: every notification, or the unread ones alone.
SHOWS = {"all": "All", "unread": "Unread"}
# What RFC 8058's one-click unsubscribe posts, as the form body, from a mail client.
ONE_CLICK = "One-Click"
# The event a provider's watch sends the page (htmx): its sites' controls reload.
WATCHES_CHANGED = "watches-changed"


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _show_of(value: str | None) -> str:
    return value if value in SHOWS else "all"


def _list_context(request: HttpRequest, show: str, page_number: str | int | None) -> dict:
    notifications = inbox.of_user(request.user)
    if show == "unread":
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PER_PAGE).get_page(page_number)
    for notification in page:
        notification.lines = inbox.item_lines(notification.alert)  # type: ignore[attr-defined]
    return {
        "page": page,
        "show": show,
        "shows": SHOWS,
        "base_query": urlencode({"show": show}) if show != "all" else "",
    }


def _list_url(show: str, page: str | int | None = None) -> str:
    query = {}
    if show != "all":
        query["show"] = show
    if page and str(page) != "1":
        query["page"] = str(page)
    url = reverse("sourcing:notifications")
    return f"{url}?{urlencode(query)}" if query else url


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, unread ones marked; `?show=unread` for those
    alone."""
    show = _show_of(request.GET.get("show"))
    context = _list_context(request, show, request.GET.get("page"))
    return render(request, "sourcing/notifications/list.html", context)


def _after_marking(request: HttpRequest, done: str) -> HttpResponse:
    """The list as it now is: the fragment (and the bell, out of band) for htmx, a redirect to
    the page the form was on otherwise."""
    show = _show_of(request.POST.get("show"))
    page = request.POST.get("page") or None
    if not _is_htmx(request):
        messages.success(request, done)
        return redirect(_list_url(show, page))
    context = {**_list_context(request, show, page), "done": done, "oob_bell": True}
    return render(request, "sourcing/notifications/_list.html", context)


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's notifications read."""
    notification = get_object_or_404(inbox.of_user(request.user), pk=pk)
    inbox.mark_read(notification)
    return _after_marking(request, f"Marked “{notification.alert.title}” as read.")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    """Mark every unread notification of the user read."""
    count = inbox.mark_all_read(request.user)
    done = (
        f"Marked {count} notification{'s' if count != 1 else ''} as read."
        if count
        else "Every notification was already read."
    )
    return _after_marking(request, done)


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link (an e-mail's, the list's): it is marked read, and the
    alert's page follows when it is one of this site's; otherwise the notification itself is
    shown."""
    notification = get_object_or_404(inbox.of_user(request.user), pk=pk)
    inbox.mark_read(notification)
    target = inbox.local_link(notification.alert.url)
    if target:
        return redirect(target)
    notification.lines = inbox.item_lines(notification.alert)  # type: ignore[attr-defined]
    return render(request, "sourcing/notifications/detail.html", {"notification": notification})


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """What the user is told of and how: the kinds, the e-mail choice, the digest's time and
    time zone. The settings' row is written on the first save; until then the defaults show."""
    current = inbox.settings_of(request.user)
    form = NotificationSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        inbox.save_settings(current, form.changes())
        messages.success(request, "Notification settings saved.")
        return redirect("sourcing:notification-settings")
    return render(
        request,
        "sourcing/notifications/settings.html",
        {"form": form, "current": current},
        status=400 if form.errors else 200,
    )


# Mail clients post RFC 8058's one-click unsubscribe without a CSRF token; the token in the
# address is what proves the request comes from the e-mail.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop the e-mails of the user whose unsubscribe token this is, without signing in: a page
    asking to confirm (GET), then done (POST, from the page or a mail client's one-click)."""
    found = get_object_or_404(
        NotificationSettings.objects.select_related("user"), unsubscribe_token=token
    )
    if request.method == "POST":
        inbox.unsubscribe(found)
        if request.POST.get("List-Unsubscribe") == ONE_CLICK:
            return HttpResponse("Unsubscribed.", content_type="text/plain; charset=utf-8")
        return render(request, "sourcing/notifications/unsubscribed.html", {"found": found})
    return render(
        request, "sourcing/notifications/unsubscribe.html", {"found": found, "token": token}
    )


# --- Watching a site or a provider, from its profile --------------------------------------------


def _watch_target(request: HttpRequest) -> dict:
    """The site (`?site=<id>`) or provider (`?provider=<id>`) the control is for."""
    for name, model in (("site", Site), ("provider", Provider)):
        value = request.GET.get(name)
        if value is not None:
            try:
                pk = int(value)
            except ValueError:
                raise Http404("Ids are whole numbers.") from None
            if model is Site:
                return {name: get_object_or_404(Site.objects.select_related("provider"), pk=pk)}
            return {name: get_object_or_404(Provider, pk=pk)}
    raise Http404("Name a site or a provider.")


def _watch_context(
    request: HttpRequest, site: Site | None = None, provider: Provider | None = None
) -> dict:
    watching = inbox.is_watching(request.user, site=site, provider=provider)
    through_provider = (
        site is not None
        and not watching
        and Watch.objects.filter(
            user_id=request.user.pk or 0, provider_id=site.provider_id
        ).exists()
    )
    return {
        "site": site,
        "provider": provider,
        "watching": watching,
        "through_provider": through_provider,
    }


@require_GET
def watch_control(request: HttpRequest) -> HttpResponse:
    """The Watch / Unwatch control of a site or a provider, loaded by its profile (htmx).
    Empty (204) for anonymous visitors, who cannot watch."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    return render(
        request,
        "sourcing/notifications/_watch.html",
        _watch_context(request, **_watch_target(request)),
    )


def _toggle_watch(
    request: HttpRequest, site: Site | None, provider: Provider | None
) -> HttpResponse:
    """Watch (`watch=1`), unwatch (`watch=0`) or, without `watch`, toggle; htmx gets the
    control back, a plain form the profile."""
    wanted = request.POST.get("watch")
    if wanted in ("0", "1"):
        want = wanted == "1"
    else:
        want = not inbox.is_watching(request.user, site=site, provider=provider)
    now = inbox.set_watching(request.user, want, site=site, provider=provider)
    if _is_htmx(request):
        context = {**_watch_context(request, site=site, provider=provider), "changed": True}
        response = render(request, "sourcing/notifications/_watch.html", context)
        if provider is not None:
            # The page's site controls say whether each is watched with its provider.
            trigger_client_event(response, WATCHES_CHANGED)
        return response
    name = site.name if site is not None else provider.name  # type: ignore[union-attr]
    messages.success(
        request,
        f"You now watch {name}: new regulator records are notified."
        if now
        else f"You no longer watch {name}.",
    )
    return redirect((site or provider).get_absolute_url())  # type: ignore[union-attr]


@login_required
@require_POST
def watch_site(request: HttpRequest, pk: int) -> HttpResponse:
    """Start or stop watching a site."""
    site = get_object_or_404(Site.objects.select_related("provider"), pk=pk)
    return _toggle_watch(request, site, None)


@login_required
@require_POST
def watch_provider(request: HttpRequest, pk: int) -> HttpResponse:
    """Start or stop watching a provider: every site of it, present and future."""
    return _toggle_watch(request, None, get_object_or_404(Provider, pk=pk))
