"""`{% page_query %}`: the query string of another page of a paged list, for _pagination.html."""

from django import template
from django.template import RequestContext

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: RequestContext, param: str, number: int, query: str = "") -> str:
    """The query string of page `number` of a list paged by the `param` parameter.

    `query`, an encoded query string without `param`, is followed by the page number; without
    it, `param` is set in the request's own query string, as `{% querystring %}` sets it.
    """
    if query:
        return f"?{query}&{param}={number}"
    params = context.request.GET.copy()
    params[param] = str(number)
    return f"?{params.urlencode()}"
