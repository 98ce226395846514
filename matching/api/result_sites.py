"""The site behind a run's result, as the runs API shows it beside the result: its provider's
slug, its country, and where to read more (the site on its provider's profile page, the
provider and the site in the catalogue API).

Results keep the site's and provider's names when a site is deleted (matching/models.py Result);
these fields are then null. The views select each result's site and provider with it
(`with_sites`), so a page of results costs no query per row.
"""

from django.db.models import QuerySet
from django.urls import reverse
from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from matching.models import Result
from partners.api.serializers import CountrySerializer, site_profile_path


def with_sites(results: QuerySet[Result]) -> QuerySet[Result]:
    """The results with the site and provider each result item shows."""
    return results.select_related("site__provider")


def _absolute(request: Request | None, path: str) -> str:
    return request.build_absolute_uri(path) if request else path


class ResultSiteFields(serializers.Serializer):
    """Fields of a result item about its site; mixed into the result serializers."""

    provider_slug = serializers.SerializerMethodField()
    country = serializers.SerializerMethodField()
    profile_url = serializers.SerializerMethodField()
    provider_url = serializers.SerializerMethodField()
    site_url = serializers.SerializerMethodField()

    @extend_schema_field(
        serializers.CharField(allow_null=True, help_text="Null once the site is deleted.")
    )
    def get_provider_slug(self, result: Result) -> str | None:
        return result.site.provider.slug if result.site else None

    @extend_schema_field(CountrySerializer(allow_null=True))
    def get_country(self, result: Result) -> dict[str, str] | None:
        if result.site is None or not result.site.country:
            return None
        code = result.site.country.code
        return {"code": code, "name": str(countries.name(code))}

    @extend_schema_field(
        serializers.URLField(
            allow_null=True, help_text="The site's section of its provider's profile page."
        )
    )
    def get_profile_url(self, result: Result) -> str | None:
        if result.site is None:
            return None
        return _absolute(self.context.get("request"), site_profile_path(result.site))

    @extend_schema_field(
        serializers.URLField(allow_null=True, help_text="The provider in the catalogue API.")
    )
    def get_provider_url(self, result: Result) -> str | None:
        if result.site is None:
            return None
        path = reverse("api:provider-detail", kwargs={"slug": result.site.provider.slug})
        return _absolute(self.context.get("request"), path)

    @extend_schema_field(
        serializers.URLField(allow_null=True, help_text="The site in the catalogue API.")
    )
    def get_site_url(self, result: Result) -> str | None:
        if result.site is None:
            return None
        path = reverse("api:site-detail", kwargs={"pk": result.site.pk})
        return _absolute(self.context.get("request"), path)


# The fields above, for the Meta.fields of the serializers that mix them in.
RESULT_SITE_FIELDS = ["provider_slug", "country", "profile_url", "provider_url", "site_url"]
