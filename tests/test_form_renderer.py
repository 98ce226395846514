"""The form renderer writes the plain `<input>` widgets itself: exactly what Django's templates
write, for every kind of input, value and attribute, and only while Django's templates are the
ones it copies."""

import datetime
import decimal
from pathlib import Path

import django
import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from core.forms import PLAIN_INPUT_TEMPLATES, Renderer

WIDGETS = Path(django.__file__).parent / "forms" / "templates" / "django" / "forms" / "widgets"

INPUT_HTML = (
    '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %} '
    "value=\"{{ widget.value|stringformat:'s' }}\"{% endif %}"
    '{% include "django/forms/widgets/attrs.html" %}>\n'
)
ATTRS_HTML = (
    "{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}"
    "{% if value is not True %}=\"{{ value|stringformat:'s' }}\"{% endif %}{% endif %}"
    "{% endfor %}"
)


def test_djangos_input_templates_are_the_ones_the_renderer_copies():
    assert (WIDGETS / "input.html").read_text() == INPUT_HTML
    assert (WIDGETS / "attrs.html").read_text() == ATTRS_HTML
    for template in PLAIN_INPUT_TEMPLATES - {"django/forms/widgets/input.html"}:
        source = (WIDGETS.parent.parent.parent / template).read_text()
        assert source.strip() == '{% include "django/forms/widgets/input.html" %}', template


def test_django_uses_the_renderer():
    assert isinstance(forms.Form().renderer, Renderer)


VALUES = [
    None,
    "",
    "plain",
    "a <b>\"quoted\"</b> & 'single'",
    mark_safe("<i>safe</i>"),
    0,
    3.5,
    decimal.Decimal("12.50"),
    datetime.date(2026, 2, 28),
]
ATTRS = [
    {},
    {"id": "id_x", "min": "0", "step": "any", "inputmode": "decimal"},
    {"required": True, "disabled": False, "aria-invalid": "true", "data-x": 'a"<b>'},
    {"placeholder": mark_safe("&lt;safe&gt;"), "maxlength": 200},
]
WIDGET_CLASSES = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.SearchInput,
    forms.TelInput,
    forms.ColorInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.FileInput,
    forms.CheckboxInput,
]


@pytest.mark.parametrize("widget_class", WIDGET_CLASSES, ids=lambda c: c.__name__)
def test_each_input_is_written_exactly_as_djangos_templates_write_it(widget_class):
    templates, renderer = DjangoTemplates(), Renderer()
    compared = 0
    for value in VALUES:
        for attrs in ATTRS:
            widget = widget_class(attrs=dict(attrs))
            expected = widget.render("field", value, renderer=templates)
            written = widget.render("field", value, renderer=renderer)
            assert written == expected, (value, attrs)
            compared += 1
    assert compared == len(VALUES) * len(ATTRS)


def test_other_widgets_are_rendered_by_their_templates():
    select = forms.Select(choices=[("a", "A <1>"), ("b", "B")])

    assert select.render("s", "b", renderer=Renderer()) == select.render(
        "s", "b", renderer=DjangoTemplates()
    )
    assert '<option value="b" selected>B</option>' in select.render("s", "b", renderer=Renderer())
