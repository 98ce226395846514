"""OpenAPI schema help for the catalogue's filters (drf-spectacular).

The capability filters (`modality`, `dosage_form`, `service`, `technology`) take their choices
from the vocabulary table when a request comes in, because curators may add terms. drf-spectacular
rightly refuses to query the database while building the schema, cannot tell the parameter's
type and warns. This extension documents those parameters as repeatable slugs pointing to
`/api/taxonomy/`, and leaves every other filter to drf-spectacular's own django-filter support.

Registered by being imported (drf-spectacular collects extensions as they are defined):
`partners.api.views` imports it.
"""

from django.db.models import Model
from django_filters import Filter, FilterSet
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

# The filters whose value must be greater than zero (partners.filtersets, `_positive`).
POSITIVE_FILTERS = ("min_batch_kg", "min_volume_l", "max_oel")


class VocabularyFilterExtension(DjangoFilterExtension):
    # Above drf-spectacular's own extension for the same backend.
    priority = 1

    def resolve_filter_field(
        self,
        auto_schema: AutoSchema,
        model: type[Model],
        filterset_class: type[FilterSet],
        field_name: str,
        filter_field: Filter,
    ) -> list[dict]:
        if not callable(filter_field.extra.get("choices")):
            parameters = super().resolve_filter_field(
                auto_schema, model, filterset_class, field_name, filter_field
            )
            for parameter in parameters:
                # As an unfilled box of the directory's form: an empty value is no filter.
                if parameter["schema"].get("type") != "array":
                    parameter["allowEmptyValue"] = True
            if field_name in POSITIVE_FILTERS:
                for parameter in parameters:
                    parameter["schema"] = {
                        **parameter["schema"],
                        "minimum": 0,
                        "exclusiveMinimum": True,
                    }
            return parameters
        label = filter_field.label or field_name
        string = build_basic_type(OpenApiTypes.STR)
        assert string is not None  # only OpenApiTypes.NONE has no schema
        string["minLength"] = 1
        return [
            build_parameter_type(
                name=field_name,
                location=OpenApiParameter.QUERY,
                required=filter_field.extra["required"],
                description=(
                    f"{label}: a slug from `/api/taxonomy/` (capabilities.{field_name}). "
                    "Repeat the parameter to accept any of several."
                ),
                schema=build_array_type(string),
                explode=True,
                style="form",
            )
        ]
