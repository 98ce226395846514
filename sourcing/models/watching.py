"""Who watches what, what the watch found and who was told (DESIGN.md, "Sourcing").

A site is watched by the members of every organisation that has it on a shortlist, and by any
user who watches it, or its provider, from a profile (Watch). A watched site's regulator record
is known as a set of event keys (KnownEvent); what the record gains past that set raises an
Alert, and each of the site's watchers gets a Notification of it, once (sourcing/watching/).
"""

import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.models import TimeStamped
from sourcing.choices import AlertKind, EmailChoice

# The longest key of a known event: "action:FDA:warning-letter:<case id>" and the like.
EVENT_KEY_MAX_LENGTH = 200


def _every_kind() -> list[str]:
    return list(AlertKind.values)


def _validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone (try Europe/Berlin or UTC).")


class Watch(TimeStamped):
    """A user's watch on one site or on one provider (every site of it, present and future)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches"
    )
    site = models.ForeignKey(
        "partners.Site", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    provider = models.ForeignKey(
        "partners.Provider", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["user_id", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(site__isnull=False, provider__isnull=True)
                | Q(site__isnull=True, provider__isnull=False),
                name="%(app_label)s_%(class)s_site_or_provider",
            ),
            models.UniqueConstraint(
                fields=["user", "site"],
                condition=Q(site__isnull=False),
                name="%(app_label)s_%(class)s_unique_site",
            ),
            models.UniqueConstraint(
                fields=["user", "provider"],
                condition=Q(provider__isnull=False),
                name="%(app_label)s_%(class)s_unique_provider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} watches {self.site or self.provider}"


class WatchedSite(models.Model):
    """A site under watch, whose record as it stood when the watch began is known (its events
    are KnownEvent rows), with the compliance inputs read at the last sweep: a score falling
    because of a new record or an edit is told apart from the score's decay with time by
    scoring both sets of inputs as of the same day."""

    site = models.OneToOneField(
        "partners.Site", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    since = models.DateTimeField(auto_now_add=True)
    # The inspections and actions the compliance score read at the last sweep, as lists of
    # their InspectionEvent / ActionEvent fields (dates as ISO strings).
    compliance_inputs = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"watched site {self.site_id}"


class KnownEvent(models.Model):
    """An event already on a watched site's record: one row per site and key, so that an event
    is told once however many workers, imports or re-imports see it."""

    site = models.ForeignKey("partners.Site", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=EVENT_KEY_MAX_LENGTH)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "key"], name="%(app_label)s_%(class)s_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class Alert(models.Model):
    """One notice: an event on a site, a summary of several found together (records one FEI
    change attached), a saved search's new sites, or a kept brief's re-run. Its `key` makes it
    once: two workers that find the same thing write one alert."""

    key = models.CharField(max_length=EVENT_KEY_MAX_LENGTH, unique=True)
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    site = models.ForeignKey(
        "partners.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept beside the link, so that a deleted site's alerts still read.
    site_name = models.CharField(max_length=300, blank=True)
    provider_name = models.CharField(max_length=300, blank=True)
    title = models.CharField(max_length=300)
    # What happened, one line per event: {"text", "date", "source", "url"}.
    items = models.JSONField(default=list, blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Where the alert's link goes.")
    occurred_on = models.DateField(null=True, blank=True)
    saved_search = models.ForeignKey(
        "SavedSearch", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kept_brief = models.ForeignKey(
        "KeptBrief", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """An alert as one user received it: unread until read; e-mailed at once, in a digest or
    never, as the user chose."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the notification went by e-mail (at once or in a digest), or was claimed for it.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "alert"], name="%(app_label)s_%(class)s_once"
            ),
        ]
        indexes = [
            # The bell's count and the list: a user's notifications, unread first.
            models.Index(fields=["recipient", "read_at"], name="sourcing_notif_unread_idx"),
            # The mailer's sweep: notifications not yet e-mailed.
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at__isnull=True),
                name="sourcing_notif_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert} for {self.recipient}"

    def get_absolute_url(self) -> str:
        return reverse("sourcing:notification", kwargs={"pk": self.pk})

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationSettings(models.Model):
    """What a user is told, how, and when their digest goes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    kinds = models.JSONField(
        default=_every_kind, blank=True, help_text="The kinds of alert the user is told of."
    )
    email = models.CharField(max_length=8, choices=EmailChoice.choices, default=EmailChoice.DIGEST)
    digest_time = models.TimeField(default="08:00")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[_validate_time_zone])
    # The last day (in the user's time zone) whose digest went.
    last_digest_on = models.DateField(null=True, blank=True)
    # The secret in the user's unsubscribe links; a new one voids the old links.
    unsubscribe_token = models.CharField(max_length=64, default=secrets.token_urlsafe, unique=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"notification settings of {self.user}"


class SavedSearch(TimeStamped):
    """A directory search a user saved, and watches for sites that newly match it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(max_length=200)
    # The directory's query string, normalised (sorted, no page or sort order).
    query = models.CharField(max_length=2000)
    watched = models.BooleanField(default=True)
    # The sites that matched at the last check; a site not among them that matches now is new.
    known_site_ids = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # The catalogue version (partners/catalogue_version.py) the last check read: a search is
    # checked again only once the catalogue, or the day, has changed (sourcing/saved_searches.py).
    catalogue_version = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["user_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "query"], name="%(app_label)s_%(class)s_unique_query"
            ),
        ]
        indexes = [
            # The check's sweep (`check_saved_searches`): the watched searches.
            models.Index(
                fields=["checked_at"],
                condition=Q(watched=True),
                name="sourcing_search_watched_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return (
            f"{reverse('partners:directory')}?{self.query}"
            if self.query
            else reverse("partners:directory")
        )


class KeptBrief(TimeStamped):
    """A brief kept matching: re-run on Celery when the catalogue changes, at most once a day,
    its owners told what changed since its previous run."""

    brief = models.OneToOneField("matching.Brief", on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=True)
    kept_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The run the next re-run is compared with, and the latest re-run.
    baseline_run = models.ForeignKey(
        "matching.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_run = models.ForeignKey(
        "matching.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The catalogue version the last re-run read; a different one is a change.
    catalogue_version = models.CharField(max_length=64, blank=True)
    last_rerun_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"keep matching brief {self.brief_id}"
