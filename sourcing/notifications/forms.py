"""The notification settings form: which kinds of alert, how they are e-mailed, and when the
daily digest goes in the user's own time zone."""

import datetime
import zoneinfo
from functools import cache
from typing import Any

from django import forms

from sourcing.choices import AlertKind, EmailChoice
from sourcing.forms import PipelineForm
from sourcing.models import NotificationSettings


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone the system knows, by name, UTC first."""
    names = sorted(zoneinfo.available_timezones() - {"UTC"})
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


class NotificationSettingsForm(PipelineForm):
    """What a user is told of, and how; errors are shown led by the field they are about."""

    kinds = forms.MultipleChoiceField(
        label="Tell me of",
        choices=AlertKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave every box empty to hear of nothing, not even in the app.",
    )
    email = forms.ChoiceField(
        label="E-mail",
        choices=EmailChoice.choices,
        widget=forms.RadioSelect,
    )
    digest_time = forms.TimeField(
        label="Digest time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="When the daily digest goes, in your time zone.",
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=time_zone_choices)

    def __init__(self, *args: Any, instance: NotificationSettings, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "kinds": list(instance.kinds or []),
                "email": instance.email,
                "digest_time": _as_time(instance.digest_time),
                "time_zone": instance.time_zone,
            },
        )
        super().__init__(*args, **kwargs)

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"]
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(
                f"“{name}” is not a time zone: choose one from the list."
            ) from None
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("email") == EmailChoice.DIGEST
            and cleaned.get("digest_time") is None
            and "digest_time" not in self.errors
        ):
            self.add_error("digest_time", "Give the time the daily digest should go.")
        return cleaned

    def changes(self) -> dict[str, Any]:
        """The settings' new values, to save."""
        data = self.cleaned_data
        changes = {"kinds": list(data["kinds"]), "email": data["email"]}
        changes["time_zone"] = data["time_zone"]
        if data.get("digest_time") is not None:
            changes["digest_time"] = data["digest_time"]
        return changes


def _as_time(value: datetime.time | str) -> datetime.time:
    """A TimeField's value: a time, or the default's string before the row is first saved."""
    return value if isinstance(value, datetime.time) else datetime.time.fromisoformat(value)
