"""Page numbers for the JSON API of both apps: `{count, next, previous, results}`; a bad page
is a 400.

DRF answers a page past the end with a 404, which reads as "this list does not exist"; here bad
input is a 400 naming the parameter, as the filters answer.
"""

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from core.api import field_error


class CataloguePagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    page_size_query_description = (
        f"Number of results per page, from 1 to {max_page_size} "
        f"(larger values are capped); {page_size} when not given."
    )

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "").strip()
        if not raw:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise field_error(
                self.page_size_query_param, f"Enter a whole number from 1 to {self.max_page_size}."
            )
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        # Both are whole numbers from 1, as the answers above hold them to.
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
            if parameter["name"] == self.page_size_query_param:
                # Empty is the default size, as when the parameter is left out.
                parameter["allowEmptyValue"] = True
        return parameters

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list:
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except PageNotAnInteger:
            raise field_error(
                self.page_query_param, "The page number must be a whole number."
            ) from None
        except EmptyPage:
            pages = paginator.num_pages
            there_are = "there is 1 page" if pages == 1 else f"there are {pages} pages"
            raise field_error(
                self.page_query_param, f"Page {page_number} does not exist: {there_are}."
            ) from None
        self.display_page_controls = paginator.num_pages > 1 and self.template is not None
        return list(self.page)
