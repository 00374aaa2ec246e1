"""Page-number pagination whose count stays cheap on a million-row list."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from ..models import COUNT_CAP, count_up_to


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages with a count; ``?page_size=`` up to 500.

    ``count`` is exact up to ``COUNT_CAP`` rows. A list longer than that answers
    ``count: 1000`` and ``count_capped: true`` ("1,000 or more"): counting every row a user
    may see, under every filter, reads the whole visible set, which at a million accounts costs
    more than the page itself (see docs/performance.md). ``next`` is exact either way: the page
    is read with one row more than it shows.
    """

    page_size_query_param = "page_size"
    max_page_size = 500
    count_cap = COUNT_CAP

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        self.request = request
        raw_number = request.query_params.get(self.page_query_param) or 1
        try:
            number = int(raw_number)
            if number < 1:
                raise ValueError
        except (TypeError, ValueError) as exc:
            raise NotFound(self.invalid_page_message) from exc
        if isinstance(queryset, QuerySet):
            counted = count_up_to(queryset, self.count_cap)
        else:
            counted = len(queryset)
        self.count_capped = counted > self.count_cap
        self.count = min(counted, self.count_cap)
        offset = (number - 1) * page_size
        rows = list(queryset[offset : offset + page_size + 1])
        if number > 1 and not rows:
            raise NotFound(self.invalid_page_message)
        self.number = number
        self.has_next = len(rows) > page_size
        return rows[:page_size]

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "count_capped": self.count_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return pagination.replace_query_param(url, self.page_query_param, self.number + 1)

    def get_previous_link(self) -> str | None:
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return pagination.remove_query_param(url, self.page_query_param)
        return pagination.replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count"]["description"] = (
            f"Rows in the list, exact up to {COUNT_CAP:,}; beyond, {COUNT_CAP} with "
            "count_capped true."
        )
        answer["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"True when the list has more than {COUNT_CAP:,} rows.",
        }
        answer["required"] = [*answer.get("required", []), "count_capped"]
        return answer

    def get_html_context(self) -> dict[str, Any]:
        return {
            "previous_url": self.get_previous_link(),
            "next_url": self.get_next_link(),
            "page_links": [],
        }
