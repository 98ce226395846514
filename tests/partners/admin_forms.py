"""Admin change forms read as a browser submits them, for tests that post them back."""

from html.parser import HTMLParser

from django.http import HttpResponse


class _FormFields(HTMLParser):
    """The values a browser would submit from an admin change page's form (the one whose id
    ends in "_form"; submit buttons left out: a test names the one it presses)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_form = False
        self.done = False
        self.data: dict[str, str | list[str]] = {}
        self._select: str | None = None
        self._select_multiple = False
        self._textarea: str | None = None

    def _set(self, name: str, value: str, many: bool = False) -> None:
        if many:
            existing = self.data.setdefault(name, [])
            assert isinstance(existing, list)
            existing.append(value)
        else:
            self.data[name] = value

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form" and not self.done and attributes.get("id", "").endswith("_form"):
            self.in_form = True
            return
        if not self.in_form:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attributes:
                    self._set(name, attributes.get("value", "on"), many=kind == "checkbox")
                return
            self._set(name, attributes.get("value", ""))
        elif tag == "select" and name:
            self._select = name
            self._select_multiple = "multiple" in attributes
            if not self._select_multiple:
                self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attributes:
            self._set(self._select, attributes.get("value", ""), many=self._select_multiple)
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            text = self.data[self._textarea]
            assert isinstance(text, str)
            # A browser drops the newline that opens a textarea's content.
            self.data[self._textarea] = (
                (text + data).removeprefix("\n") if not text else text + data
            )


def change_form_data(page: HttpResponse) -> dict[str, str | list[str]]:
    """The fields of an admin change page's form, as a browser would post them unchanged."""
    assert page.status_code == 200, page.status_code
    fields = _FormFields()
    fields.feed(page.content.decode())
    return fields.data
