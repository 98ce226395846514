"""Watches and notifications in the JSON API: the user's own, nobody else's.

- `/api/notifications/`: the user's notifications, newest first (paged; `?unread=true` for the
  unread only), each with its alert: what happened, on which site, the items and the link;
  `/api/notifications/<id>/`: one; `POST …/<id>/read/` marks it read; `POST
  /api/notifications/read-all/` marks them all read and says how many.
- `/api/watches/`: the sites and providers the user watches (paged); POST `{"site": id}` or
  `{"provider": id}` starts a watch (its record as it stands is known, so only later events
  are told); DELETE `/api/watches/<id>/` ends it. Sites on the organisation's shortlists are
  watched without a watch of one's own.

Another user's notification or watch is a 404.
"""

from typing import cast

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.pagination import CataloguePagination
from partners.models import Provider, Site
from sourcing.api.views import DETAIL, FIELD_ERRORS, NOT_SIGNED_IN
from sourcing.models import Alert, Notification, Watch
from sourcing.notifications import inbox

NOTIFICATION_NOT_FOUND = OpenApiResponse(
    response=DETAIL, description="No such notification of yours."
)
WATCH_NOT_FOUND = OpenApiResponse(response=DETAIL, description="No such watch of yours.")


def _user(request: Request) -> User:
    """The signed-in user (every endpoint here needs one: IsAuthenticated)."""
    return cast(User, request.user)


# --- Shapes --------------------------------------------------------------------------------------


class AlertItemSerializer(serializers.Serializer):
    """One line of an alert: a site's event, a saved search's new site, a kept brief's change.
    Each kind of alert fills what it knows; the rest reads empty."""

    kind = serializers.CharField(default="", help_text="The event's kind, for a site's alert.")
    text = serializers.CharField(default="")
    date = serializers.CharField(default="", help_text="ISO date, or empty.")
    # A declared field, taken off the class by DRF's metaclass: not Field.source.
    source = serializers.CharField(  # type: ignore[assignment]
        default="", help_text="Where the record came from."
    )
    url = serializers.CharField(default="", help_text="Where the line links to.")


class AlertSerializer(serializers.ModelSerializer):
    items = AlertItemSerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = [
            "kind",
            "title",
            "site",
            "site_name",
            "provider_name",
            "occurred_on",
            "items",
            "url",
            "created_at",
        ]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    alert = AlertSerializer(read_only=True)
    read = serializers.BooleanField(source="is_read", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "alert", "read", "read_at", "created_at"]
        read_only_fields = fields


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications this marked read.")


class WatchSerializer(serializers.ModelSerializer):
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.all(), required=False, allow_null=True
    )
    provider = serializers.PrimaryKeyRelatedField(
        queryset=Provider.objects.all(), required=False, allow_null=True
    )
    name = serializers.SerializerMethodField()

    class Meta:
        model = Watch
        fields = ["id", "site", "provider", "name", "created_at"]
        read_only_fields = ["id", "name", "created_at"]

    def get_name(self, watch: Watch) -> str:
        if watch.site is not None:
            return f"{watch.site.provider.name} — {watch.site.name}"
        return watch.provider.name if watch.provider is not None else ""

    def validate(self, attrs: dict) -> dict:
        site, provider = attrs.get("site"), attrs.get("provider")
        if (site is None) == (provider is None):
            raise serializers.ValidationError(
                {"site": ["Give a site or a provider to watch, not both."]}
            )
        user = self.context["request"].user
        mine = Watch.objects.filter(user=user)
        if site is not None and mine.filter(site=site).exists():
            raise serializers.ValidationError({"site": ["You already watch this site."]})
        if provider is not None and mine.filter(provider=provider).exists():
            raise serializers.ValidationError({"provider": ["You already watch this provider."]})
        return attrs


# --- Endpoints -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Your notifications",
        parameters=[
            OpenApiParameter(
                "unread", bool, description="Only the unread ones (`true`), or all (default)."
            )
        ],
        responses={200: NotificationSerializer(many=True), 401: NOT_SIGNED_IN},
    ),
    retrieve=extend_schema(
        summary="One notification",
        responses={200: NotificationSerializer, 401: NOT_SIGNED_IN, 404: NOTIFICATION_NOT_FOUND},
    ),
)
class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = CataloguePagination

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):  # the schema, drawn without a user
            return Notification.objects.none()
        notifications = inbox.of_user(self.request.user)
        if self.action == "list" and self.request.query_params.get("unread", "").lower() in (
            "true",
            "1",
            "yes",
        ):
            notifications = notifications.filter(read_at__isnull=True)
        return notifications.order_by("-created_at", "-id")

    @extend_schema(
        summary="Mark a notification read",
        request=None,
        responses={200: NotificationSerializer, 401: NOT_SIGNED_IN, 404: NOTIFICATION_NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = self.get_object()
        inbox.mark_read(notification)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        summary="Mark all your notifications read",
        request=None,
        responses={200: ReadAllSerializer, 401: NOT_SIGNED_IN},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": inbox.mark_all_read(request.user)})


@extend_schema_view(
    list=extend_schema(
        summary="The sites and providers you watch",
        responses={200: WatchSerializer(many=True), 401: NOT_SIGNED_IN},
    ),
    create=extend_schema(
        summary="Watch a site or a provider",
        responses={201: WatchSerializer, 400: FIELD_ERRORS, 401: NOT_SIGNED_IN},
    ),
    retrieve=extend_schema(
        summary="One watch",
        responses={200: WatchSerializer, 401: NOT_SIGNED_IN, 404: WATCH_NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Stop watching",
        responses={204: None, 401: NOT_SIGNED_IN, 404: WATCH_NOT_FOUND},
    ),
)
class WatchViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = WatchSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = CataloguePagination

    def get_queryset(self) -> QuerySet[Watch]:
        if getattr(self, "swagger_fake_view", False):  # the schema, drawn without a user
            return Watch.objects.none()
        return (
            Watch.objects.filter(user=_user(self.request))
            .select_related("site__provider", "provider")
            .order_by("-created_at", "-id")
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        # Saving starts the watch with the record as it stands (sourcing/signals.py). The same
        # watch posted twice at once: the second finds the first's row (a 400, not a 500).
        try:
            with transaction.atomic():
                serializer.save(user=self.request.user)
        except IntegrityError:
            field = "site" if serializer.validated_data.get("site") else "provider"
            raise ValidationError({field: [f"You already watch this {field}."]}) from None
