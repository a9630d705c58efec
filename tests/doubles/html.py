"""Reading pages as a browser would: a form's values, its labelled parts, hidden fields, the CSRF
token."""

import re
from html.parser import HTMLParser
from typing import Any


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class _Fields(HTMLParser):
    """A page's inputs, checkboxes, radios, selects and textareas, as a browser posts them."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") or ""
        if tag == "input" and name:
            if a.get("type") in ("checkbox", "radio"):
                # As a browser posts it: the checked one's value, absent otherwise.
                if "checked" in a:
                    self.values[name] = a.get("value") or "on"
            elif a.get("type") not in ("file", "submit"):
                self.values[name] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        if tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def fields(html: str) -> dict[str, Any]:
    """The form values on a page."""
    parser = _Fields()
    parser.feed(html)
    return parser.values


class FormParts(HTMLParser):
    """Inputs, labels and fieldsets of a page (enough to check labelling)."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.fieldsets = 0
        self.legends = 0
        self.textareas: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect the form's parts."""
        values = {k: v or "" for k, v in attrs}
        if tag in ("input", "textarea"):
            self.inputs.append({"tag": tag, **values})
        if tag == "textarea":
            self._textarea = values.get("name", "")
            self.textareas[self._textarea] = ""
        if tag == "label" and "for" in values:
            self.label_for.add(values["for"])
        self.fieldsets += tag == "fieldset"
        self.legends += tag == "legend"

    def handle_endtag(self, tag: str) -> None:
        """Close a textarea."""
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        """Keep a textarea's text."""
        if self._textarea is not None:
            self.textareas[self._textarea] += data


def form_parts(html: str) -> FormParts:
    """The form parts of a page."""
    parts = FormParts()
    parts.feed(html)
    return parts


def hidden(html: str, name: str) -> str:
    """A hidden field's value."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, name
    return found.group(1)
