"""Domain verbs for the sourcing app's querysets: every query a request makes starts from one
organisation-scoped queryset, so that another organisation's shortlist is a 404."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models


class ShortlistQuerySet(models.QuerySet):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> "ShortlistQuerySet":
        """The shortlists of the user's organisation; none for anyone else."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(organisation__memberships__user=user)


class CandidateQuerySet(models.QuerySet):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> "CandidateQuerySet":
        """The candidates on the shortlists of the user's organisation; none for anyone else."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(shortlist__organisation__memberships__user=user)
