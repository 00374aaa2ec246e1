"""The form renderer: Django's, with select boxes written in Python.

A list page's filter form has a dozen select boxes with 160 options; through templates each
option is two template renders (the option and its attributes), about a third of the page's
time. ``FastSelectRenderer`` writes ``django/forms/widgets/select.html`` (Select,
SelectMultiple, NullBooleanSelect) and its options itself, to the character what the templates
give (``guanxi/core/tests/test_renderers.py`` compares them); every other widget and template
goes through Django's templates as before.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def shown(value: Any) -> str:
    """``{{ value }}`` in a template: localised, then escaped."""
    return conditional_escape(localize(template_localtime(value)))


def _plain(value: Any) -> str:
    """``value|stringformat:'s'``: a plain ``str``, never a safe one, so it is escaped."""
    return "%s" % (value,)  # noqa: UP031 - as the filter does


def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {shown(name)}")
        else:
            parts.append(f' {shown(name)}="{conditional_escape(_plain(value))}"')
    return "".join(parts)


class FastSelectRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT:
            fast = self._select(context["widget"])
            if fast is not None:
                return fast
        return super().render(template_name, context, request=request)

    @staticmethod
    def _select(widget: dict[str, Any]) -> SafeString | None:
        parts = [f'<select name="{shown(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{shown(group_name)}">')
            for option in options:
                if option.get("template_name") != OPTION:
                    return None  # a widget with its own option template: Django's way
                value = conditional_escape(_plain(option["value"]))
                parts.append(
                    f'\n  <option value="{value}"{_attrs(option["attrs"])}>'
                    f"{shown(option['label'])}</option>\n"  # the option template's last line
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
