"""Notifications by e-mail: at once for who chose so, sent once however many sweeps (or workers)
run; a daily digest at the user's own time in their own time zone, once a day; every mail with
HTML and text parts, absolute links, an unsubscribe link and the List-Unsubscribe headers;
never to inactive users or users without an address; a mail server's failure retried by the
next sweep."""

import datetime
import email
import smtplib

import pytest
import time_machine
from django.core import mail as outbox_mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from sourcing import tasks
from sourcing.choices import AlertKind, EmailChoice
from sourcing.models import Notification, NotificationSettings, Watch
from sourcing.notifications import mail as notification_mail
from sourcing.notifications.digest import send_due_digests
from sourcing.notifications.mail import send_due_immediate
from sourcing.watching.alerts import AlertSpec, raise_alert
from tests.factories import RegulatoryActionFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
SITE_URL = "https://cdmo.example.com"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


def notify(user, number: int = 1, **spec) -> Notification:
    fields = {
        "key": f"mail:{number}",
        "kind": AlertKind.WARNING_LETTER,
        "title": f"Warning letter {number} to Acme",
        "items": [
            {
                "text": f"Warning letter 320-26-{number:02d}",
                "date": "2026-11-20",
                "source": "FDA",
                "url": "/providers/acme/#site-1",
            }
        ],
        "url": "/providers/acme/#site-1",
        "provider_name": "Acme",
        "site_name": "Leverkusen",
        **spec,
    }
    alert, _ = raise_alert(AlertSpec(**fields), [user.pk])
    return Notification.objects.get(alert=alert, recipient=user)


def member(email_choice=None, **settings_fields):
    user = UserFactory(email="nora@example.com", first_name="Nora")
    if email_choice is not None:
        NotificationSettings.objects.create(user=user, email=email_choice, **settings_fields)
    return user


def _html(message: EmailMultiAlternatives) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


# At once


def test_an_immediate_mail_goes_once_however_many_sweeps():
    user = member(EmailChoice.AT_ONCE)
    notification = notify(user)

    assert send_due_immediate() == 1
    assert send_due_immediate() == 0

    assert len(outbox_mail.outbox) == 1
    [message] = outbox_mail.outbox
    assert message.to == ["nora@example.com"]
    assert message.subject == "Warning letter: Acme — Leverkusen"
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_an_immediate_mail_has_text_and_html_absolute_links_and_unsubscribe_headers():
    user = member(EmailChoice.AT_ONCE)
    notification = notify(user)
    token = user.notification_settings.unsubscribe_token
    unsubscribe = f"{SITE_URL}/notifications/unsubscribe/{token}/"

    send_due_immediate()

    [message] = outbox_mail.outbox
    html = _html(message)
    for part in (message.body, html):
        assert "Warning letter 1 to Acme" in part
        assert "Warning letter 320-26-01" in part
        assert f"{SITE_URL}{notification.get_absolute_url()}" in part
        assert f"{SITE_URL}/providers/acme/#site-1" in part
        assert unsubscribe in part
    assert "Hello Nora" in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # As sent: the long header may be folded, and reads the same unfolded.
    sent = email.message_from_string(message.message().as_string())
    assert " ".join(sent["List-Unsubscribe"].split()) == f"<{unsubscribe}>"


def test_immediate_mails_go_only_to_who_chose_them():
    digest_user = member(EmailChoice.DIGEST)
    never_user = member(EmailChoice.NEVER)
    default_user = member()  # no settings: the daily digest
    for user in (digest_user, never_user, default_user):
        notify(user)

    assert send_due_immediate() == 0
    assert outbox_mail.outbox == []


def test_no_mail_to_an_inactive_user_or_one_without_an_address():
    inactive = member(EmailChoice.AT_ONCE)
    notify(inactive, 1)
    inactive.is_active = False
    inactive.save()
    no_address = UserFactory(email="")
    NotificationSettings.objects.create(user=no_address, email=EmailChoice.AT_ONCE)
    notify(no_address, 2)
    digest_no_address = UserFactory(email="")
    notify(digest_no_address, 3)

    assert send_due_immediate() == 0
    assert send_due_digests(datetime.datetime(2026, 12, 3, 12, 0, tzinfo=UTC)) == 0
    assert outbox_mail.outbox == []


def test_a_mail_server_failure_is_retried_by_the_next_sweep(monkeypatch):
    user = member(EmailChoice.AT_ONCE)
    notification = notify(user)
    original = EmailMultiAlternatives.send

    def refused(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refused)
    assert send_due_immediate() == 0
    notification.refresh_from_db()
    assert notification.emailed_at is None

    monkeypatch.setattr(EmailMultiAlternatives, "send", original)
    assert send_due_immediate() == 1
    assert len(outbox_mail.outbox) == 1


def test_the_task_sent_twice_mails_once():
    user = member(EmailChoice.AT_ONCE)
    notify(user)

    tasks.send_notification_emails.delay()
    tasks.send_notification_emails.delay()

    assert len(outbox_mail.outbox) == 1


# The daily digest


def test_the_digest_goes_at_the_users_time_in_their_zone_once_a_day():
    # 08:00 in New York is 13:00 UTC in December.
    user = member(EmailChoice.DIGEST, digest_time=datetime.time(8, 0), time_zone="America/New_York")
    notify(user, 1)
    notify(user, 2)

    assert send_due_digests(datetime.datetime(2026, 12, 3, 12, 55, tzinfo=UTC)) == 0
    assert send_due_digests(datetime.datetime(2026, 12, 3, 13, 5, tzinfo=UTC)) == 1
    assert send_due_digests(datetime.datetime(2026, 12, 3, 13, 10, tzinfo=UTC)) == 0
    notify(user, 3)
    assert send_due_digests(datetime.datetime(2026, 12, 3, 22, 0, tzinfo=UTC)) == 0

    [message] = outbox_mail.outbox
    assert message.subject == "2 notifications from CDMO Match"
    for part in (message.body, _html(message)):
        assert "Warning letter 1 to Acme" in part
        assert "Warning letter 2 to Acme" in part
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    settings = NotificationSettings.objects.get(user=user)
    assert settings.last_digest_on == datetime.date(2026, 12, 3)

    # The next day's digest carries what came after.
    assert send_due_digests(datetime.datetime(2026, 12, 4, 13, 1, tzinfo=UTC)) == 1
    assert outbox_mail.outbox[1].subject == "1 notification from CDMO Match"
    assert "Warning letter 3 to Acme" in outbox_mail.outbox[1].body


def test_a_digest_day_is_the_users_own_date():
    # 23:30 UTC on the 3rd is already 08:30 on the 4th in Tokyo.
    user = member(EmailChoice.DIGEST, digest_time=datetime.time(8, 0), time_zone="Asia/Tokyo")
    notify(user)

    assert send_due_digests(datetime.datetime(2026, 12, 3, 23, 30, tzinfo=UTC)) == 1
    assert NotificationSettings.objects.get(user=user).last_digest_on == datetime.date(2026, 12, 4)


def test_a_day_with_nothing_to_tell_sends_nothing_but_is_counted():
    user = member(EmailChoice.DIGEST, digest_time=datetime.time(8, 0), time_zone="UTC")

    assert send_due_digests(datetime.datetime(2026, 12, 3, 8, 5, tzinfo=UTC)) == 0
    notify(user)  # later that day: it waits for tomorrow's digest
    assert send_due_digests(datetime.datetime(2026, 12, 3, 9, 0, tzinfo=UTC)) == 0

    assert outbox_mail.outbox == []
    assert NotificationSettings.objects.get(user=user).last_digest_on == datetime.date(2026, 12, 3)
    assert send_due_digests(datetime.datetime(2026, 12, 4, 8, 0, tzinfo=UTC)) == 1


def test_a_user_without_settings_gets_the_default_digest_at_eight_utc():
    user = member()
    notify(user)

    assert send_due_digests(datetime.datetime(2026, 12, 3, 7, 59, tzinfo=UTC)) == 0
    assert send_due_digests(datetime.datetime(2026, 12, 3, 8, 0, tzinfo=UTC)) == 1

    [message] = outbox_mail.outbox
    token = NotificationSettings.objects.get(user=user).unsubscribe_token
    assert f"{SITE_URL}/notifications/unsubscribe/{token}/" in message.body


def test_a_failed_digest_is_sent_by_the_next_sweep(monkeypatch):
    user = member(EmailChoice.DIGEST, time_zone="UTC")
    notification = notify(user)
    original = EmailMultiAlternatives.send

    def refused(self, fail_silently=False):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refused)
    assert send_due_digests(datetime.datetime(2026, 12, 3, 9, 0, tzinfo=UTC)) == 0
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert NotificationSettings.objects.get(user=user).last_digest_on is None

    monkeypatch.setattr(EmailMultiAlternatives, "send", original)
    assert send_due_digests(datetime.datetime(2026, 12, 3, 9, 5, tzinfo=UTC)) == 1


def test_the_digest_task_runs_at_the_clocks_time():
    user = member(EmailChoice.DIGEST, digest_time=datetime.time(8, 0), time_zone="Europe/Berlin")
    notify(user)

    with time_machine.travel(datetime.datetime(2026, 12, 3, 6, 55, tzinfo=UTC), tick=False):
        tasks.send_notification_digests.delay()  # 07:55 in Berlin
    assert outbox_mail.outbox == []
    with time_machine.travel(datetime.datetime(2026, 12, 3, 7, 0, tzinfo=UTC), tick=False):
        tasks.send_notification_digests.delay()  # 08:00 in Berlin
        tasks.send_notification_digests.delay()
    assert len(outbox_mail.outbox) == 1


def test_immediate_and_digest_users_are_each_mailed_their_way():
    at_once = member(EmailChoice.AT_ONCE)
    digest = member(EmailChoice.DIGEST, time_zone="UTC")
    notify(at_once, 1)
    notify(digest, 2)
    now = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

    assert send_due_immediate(now) == 1
    assert send_due_digests(now) == 1
    assert send_due_immediate(now) == 0
    assert [message.subject for message in outbox_mail.outbox] == [
        "Warning letter: Acme — Leverkusen",
        "1 notification from CDMO Match",
    ]


def test_a_late_evening_digest_passed_between_two_sweeps_goes_at_the_next_one():
    user = member(EmailChoice.DIGEST, digest_time=datetime.time(23, 58), time_zone="UTC")
    notify(user, 1)
    assert send_due_digests(datetime.datetime(2026, 12, 2, 23, 59, tzinfo=UTC)) == 1
    notify(user, 2)

    # The sweeps every five minutes fall at 23:56 and 00:01: 23:58 passed between them.
    assert send_due_digests(datetime.datetime(2026, 12, 3, 23, 56, tzinfo=UTC)) == 0
    assert send_due_digests(datetime.datetime(2026, 12, 4, 0, 1, tzinfo=UTC)) == 1
    assert send_due_digests(datetime.datetime(2026, 12, 4, 0, 6, tzinfo=UTC)) == 0

    assert "Warning letter 2 to Acme" in outbox_mail.outbox[1].body
    assert NotificationSettings.objects.get(user=user).last_digest_on == datetime.date(2026, 12, 3)


def test_a_digest_that_fails_before_it_is_sent_keeps_its_notifications_for_the_next(
    monkeypatch,
):
    user = member(EmailChoice.DIGEST, time_zone="UTC")
    notification = notify(user)
    original = notification_mail.compose

    def broken(*args, **kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr(notification_mail, "compose", broken)
    with pytest.raises(RuntimeError):
        send_due_digests(datetime.datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert NotificationSettings.objects.get(user=user).last_digest_on is None

    monkeypatch.setattr(notification_mail, "compose", original)
    assert send_due_digests(datetime.datetime(2026, 12, 3, 9, 5, tzinfo=UTC)) == 1


def test_a_broker_outage_delays_the_mail_a_sweep_sends_and_loses_none(monkeypatch):
    user = member(EmailChoice.AT_ONCE)
    site = SiteFactory(fei_number="3001234567")
    Watch.objects.create(user=user, site=site)
    RegulatoryActionFactory(site=site, fei_number=site.fei_number, action_date=timezone.localdate())

    def broker_down(*args, **kwargs):
        raise BrokerOperationalError("Error 111 connecting to redis:6379. Connection refused.")

    with monkeypatch.context() as patched:
        patched.setattr(tasks.send_notification_emails, "apply_async", broker_down)
        tasks.scan_certificates.apply()  # the sweep tells; its mail cannot be sent on
    assert Notification.objects.filter(recipient=user, emailed_at__isnull=True).count() == 1
    assert outbox_mail.outbox == []

    tasks.send_notification_emails.apply()  # the beat's next mail sweep, the broker back

    [message] = outbox_mail.outbox
    assert message.to == ["nora@example.com"]
    assert message.subject == f"Warning letter: {site.provider.name} — {site.name}"
