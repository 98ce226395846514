"""The organisation's members and invitations as JSON, the members page's API.

`/api/organisation/members/`: everyone in the organisation lists its members (admins first);
an admin changes a member's role (PATCH) or removes one (DELETE), the organisation always
keeping an admin (matching/members.py). `/api/organisation/invitations/`: an admin lists the
invitations whose link still works, invites an address (POST; the mail leaves after the commit,
its link absolute) and revokes one (DELETE). The link's token is never in an answer: it is only
in the mail. Another organisation's member or invitation is a 404; a member or viewer is refused
every change (403), and the invitations altogether; a user of no organisation gets a 403.
"""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.api import FIELD_ERRORS
from matching import invitations, members, roles
from matching.choices import Role
from matching.models import Invitation, Membership
from matching.views import ADMINS_ONLY, NO_ORGANISATION

REFUSED = OpenApiResponse(
    description="You belong to no organisation, or are not an admin of it (changes)."
)
NOT_FOUND = OpenApiResponse(description="No such member or invitation in your organisation.")


def _field_errors(error: DjangoValidationError, field: str) -> ValidationError:
    """A domain refusal as a 400 keyed by field (`field` when the message names none)."""
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({field: error.messages})


class MemberSerializer(serializers.ModelSerializer):
    """A member of the organisation; only the role can be changed."""

    username = serializers.CharField(source="user.username", read_only=True)
    full_name = serializers.CharField(source="user.get_full_name", read_only=True)
    # A user may have given no address: an empty string, which no email format admits.
    email = serializers.CharField(
        source="user.email", read_only=True, help_text="Empty when the user gave none."
    )
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "full_name", "email", "role", "joined_at"]


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation not yet accepted. Its link is only in the mail sent to the address."""

    invited_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "invited_by", "created_at", "expires_at"]
        read_only_fields = ["id", "invited_by", "created_at", "expires_at"]
        extra_kwargs = {"email": {"help_text": "Stored lower-cased."}}


class _InOwnOrganisation(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    _membership: Membership | None = None

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self._membership = roles.membership_of(request.user)
        if self._membership is None:
            raise PermissionDenied(NO_ORGANISATION)

    @property
    def membership(self) -> Membership:
        """The user's membership, found by `initial` (which refuses a user without one)."""
        if self._membership is None:
            raise PermissionDenied(NO_ORGANISATION)
        return self._membership

    def schema_only(self) -> bool:
        """drf-spectacular builds the schema without a request's user."""
        return getattr(self, "swagger_fake_view", False)

    # What a member or viewer is told when refused a change reserved to admins.
    admins_only = ADMINS_ONLY

    def require_admin(self) -> None:
        if self.membership.role != Role.ADMIN:
            raise PermissionDenied(self.admins_only)


@extend_schema_view(
    list=extend_schema(
        summary="Your organisation's members: admins, then members, then viewers",
        responses={200: MemberSerializer(many=True), 403: REFUSED},
    ),
    partial_update=extend_schema(
        summary="Change a member's role (admins)",
        responses={200: MemberSerializer, 400: FIELD_ERRORS, 403: REFUSED, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Remove a member from the organisation (admins); the account stays",
        responses={204: None, 400: FIELD_ERRORS, 403: REFUSED, 404: NOT_FOUND},
    ),
)
class MemberViewSet(
    _InOwnOrganisation,
    mixins.ListModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    serializer_class = MemberSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Membership]:
        if self.schema_only():
            return Membership.objects.none()
        rank = Case(
            *(When(role=role, then=Value(place)) for place, role in enumerate(Role.values)),
            output_field=IntegerField(),
        )
        return (
            Membership.objects.filter(organisation_id=self.membership.organisation_id)
            .select_related("user")
            .order_by(rank, Lower("user__username"), "pk")
        )

    def check_object_permissions(self, request: Request, obj: object) -> None:
        super().check_object_permissions(request, obj)
        if request.method not in SAFE_METHODS:
            self.require_admin()

    def perform_update(self, serializer: BaseSerializer[Membership]) -> None:
        member = serializer.instance
        assert member is not None
        role = serializer.validated_data.get("role", member.role)
        try:
            members.change_role(member, role)
        except DjangoValidationError as error:
            raise _field_errors(error, "role") from error

    def perform_destroy(self, instance: Membership) -> None:
        try:
            members.remove(instance)
        except DjangoValidationError as error:
            raise _field_errors(error, "non_field_errors") from error


@extend_schema_view(
    list=extend_schema(
        summary="The invitations whose link still works, newest first (admins)",
        responses={200: InvitationSerializer(many=True), 403: REFUSED},
    ),
    create=extend_schema(
        summary="Invite an address to the organisation with a role (admins); the link is mailed",
        responses={201: InvitationSerializer, 400: FIELD_ERRORS, 403: REFUSED},
    ),
    retrieve=extend_schema(
        summary="An invitation (admins)",
        responses={200: InvitationSerializer, 403: REFUSED, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Revoke an invitation (admins): its link stops working",
        responses={204: None, 400: FIELD_ERRORS, 403: REFUSED, 404: NOT_FOUND},
    ),
)
class InvitationViewSet(
    _InOwnOrganisation,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
):
    serializer_class = InvitationSerializer
    admins_only = invitations.ADMINS_ONLY

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.require_admin()

    def get_queryset(self) -> QuerySet[Invitation]:
        if self.schema_only():
            return Invitation.objects.none()
        return (
            Invitation.objects.filter(organisation_id=self.membership.organisation_id)
            .pending(timezone.now())
            .select_related("invited_by")
        )

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            invitation, _ = invitations.invite(
                self.membership.organisation,
                self.membership.user,
                serializer.validated_data["email"],
                serializer.validated_data.get("role", Role.MEMBER),
                link_for=lambda token: request.build_absolute_uri(
                    reverse("matching:member-invitation", kwargs={"token": token})
                ),
            )
        except DjangoValidationError as error:
            raise _field_errors(error, "non_field_errors") from error
        return Response(self.get_serializer(invitation).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Invitation) -> None:
        try:
            invitations.revoke(instance)
        except DjangoValidationError as error:
            # Accepted or withdrawn by someone else since it was looked up.
            raise _field_errors(error, "non_field_errors") from error
