"""Admin: the sign-in attempts (unlocking sign-in after a lockout) and logs, and every user's API
tokens (revoke only)."""

import logging

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import ApiToken

logger = logging.getLogger("accounts.lockout")

admin.site.unregister(AccessAttempt)
admin.site.unregister(AccessLog)
admin.site.unregister(AccessFailureLog)


# Axes' lists also show the browser's user agent and the path, long enough to push the other
# columns off a laptop's screen: here they are on each row's own page only.


@admin.register(AccessAttempt)
class SignInAttemptAdmin(AccessAttemptAdmin):
    """Failed sign-ins per username and address; unlocking deletes the rows that lock."""

    list_display = ["username", "ip_address", "attempt_time", "failures_since_start", "status"]
    actions = ["unlock", *AccessAttemptAdmin.actions]
    list_filter = [*AccessAttemptAdmin.list_filter]

    @admin.action(
        description="Unlock sign-in for the selected usernames and addresses",
        permissions=["delete"],
    )
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        unlocked = sorted({attempt.username or attempt.ip_address for attempt in queryset})
        count, _ = queryset.delete()
        logger.warning(
            "Sign-in unlocked by %s for %s (%d failed-attempt rows removed)",
            request.user,
            ", ".join(str(name) for name in unlocked),
            count,
        )
        self.message_user(
            request,
            f"Sign-in unlocked for {', '.join(str(name) for name in unlocked)}.",
            messages.SUCCESS,
        )


@admin.register(AccessLog)
class SignInLogAdmin(AccessLogAdmin):
    """Sign-ins and sign-outs."""

    list_display = ["username", "ip_address", "attempt_time", "logout_time"]


@admin.register(AccessFailureLog)
class SignInFailureLogAdmin(AccessFailureLogAdmin):
    """Each failed sign-in, and whether it was refused as locked."""

    list_display = ["username", "ip_address", "attempt_time", "locked_out"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every user's tokens, to revoke one (a token is made by its owner, never here)."""

    list_display = ["name", "user", "token_key", "read_only", "created", "expiry", "last_used_at"]
    list_filter = ["read_only"]
    search_fields = ["name", "token_key", "user__username"]
    fields = ["name", "user", "token_key", "read_only", "created", "expiry", "last_used_at"]
    readonly_fields = ["name", "user", "token_key", "read_only", "created", "expiry"]
    readonly_fields += ["last_used_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
