"""The form renderer: Django's own templates, with the plain `<input>` widgets written out
directly.

Django renders each input (text, number, date…) through two small templates, which costs about
as much as a page's whole facet list: the directory's filters render five of them on every new
query. The markup written here is exactly those templates' (tests/test_form_renderer.py
compares both and checks that Django's templates are still the ones copied); every other
widget is rendered by its template.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# Django's widget templates that are `{% include "django/forms/widgets/input.html" %}` alone.
PLAIN_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "checkbox",
        "file",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "search",
        "tel",
        "color",
        "date",
        "datetime",
        "time",
    )
)


class Renderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in PLAIN_INPUT_TEMPLATES:
            return plain_input(context["widget"])
        return super().render(template_name, context, request=request)


def plain_input(widget: dict) -> SafeString:
    """django/forms/widgets/input.html with its attrs.html, for a widget's context."""
    html = [f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"']
    if widget["value"] is not None:
        html.append(f' value="{_text(widget["value"])}"')
    for name, value in widget["attrs"].items():
        if value is False:
            continue
        html.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_text(value)}"')
    html.append(">")
    return mark_safe("".join(html))


def _text(value) -> str:
    """As `{{ value|stringformat:'s' }}` writes it: escaped unless marked safe."""
    return str(conditional_escape(value))
