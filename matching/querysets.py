"""Domain verbs for the matching app's querysets."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models


class BriefQuerySet(models.QuerySet):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> "BriefQuerySet":
        """The briefs of the user's organisation; none for a user who belongs to none.

        Every view and API endpoint starts from this, so another organisation's brief is a 404.
        """
        if not user.is_authenticated:
            return self.none()
        return self.filter(organisation__memberships__user=user)
