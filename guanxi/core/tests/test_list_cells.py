"""List cells are written in Python (Column.render) exactly as the cell template drew them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from guanxi.core.generic import Column

# The template every cell went through before (generic/includes/cell.html), kept here as the
# reference the Python rendering must match.
CELL_TEMPLATE = Template(
    '{% if column.kind == "link" %}<a href="{{ obj.get_absolute_url }}" class="fw-medium">'
    '{{ value }}</a>{% elif column.kind == "related" %}{% if value %}'
    '{% if value.get_absolute_url %}<a href="{{ value.get_absolute_url }}">{{ value }}</a>'
    "{% else %}{{ value }}{% endif %}{% endif %}"
    '{% elif column.kind == "tags" %}{% for tag in value %}<span class="badge rounded-pill me-1"'
    ' style="background-color: {{ tag.color }}">{{ tag.name }}</span>{% endfor %}'
    '{% elif column.kind == "datetime" %}{% if value %}<time datetime="{{ value|date:\'c\' }}"'
    ' class="text-nowrap">{{ value|date:"SHORT_DATETIME_FORMAT" }}</time>{% endif %}'
    '{% elif column.kind == "date" %}{% if value %}{{ value|date:"SHORT_DATE_FORMAT" }}'
    '{% endif %}{% elif column.kind == "bool" %}{% if value %}<i class="bi bi-check-lg"'
    ' aria-label="✓"></i>{% endif %}{% else %}{{ value|default_if_none:"" }}{% endif %}'
)


class Linked(SimpleNamespace):
    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return f"/r/{self.pk}/?a=1&b=<2>"


class Plain(SimpleNamespace):
    def __str__(self):
        return self.name


ROW = Linked(pk=7, name="上海<科技> & Co")
AWARE = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # the next day in Shanghai
TAGS = [SimpleNamespace(name="VIP <1>", color="#ff0000"), SimpleNamespace(name="b2b", color="#00f")]

CASES = [
    ("link", "上海<科技> & Co"),
    ("link", None),
    ("related", Linked(pk=3, name='李雷 "boss"')),
    ("related", Plain(name="East & West")),
    ("related", None),
    ("tags", TAGS),
    ("tags", []),
    ("datetime", AWARE),
    ("datetime", None),
    ("date", dt.date(2026, 11, 23)),
    ("date", None),
    ("bool", True),
    ("bool", False),
    ("text", "<script>alert(1)</script>"),
    ("text", None),
    ("text", ""),
    ("choice", "Repeat customer"),
    ("number", Decimal("1234567.50")),
    ("number", 42),
    ("number", 0),
    ("number", 3.5),
]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(("kind", "value"), CASES)
def test_a_cell_reads_as_the_template_drew_it(language, kind, value):
    column = Column("x", "X", kind=kind)
    with translation.override(language), timezone.override("Asia/Shanghai"):
        expected = CELL_TEMPLATE.render(Context({"column": column, "obj": ROW, "value": value}))
        assert str(column.render(ROW, value)) == expected
