"""Select boxes written in Python give the very HTML of Django's widget templates."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from guanxi.core.renderers import FastSelectRenderer

CHOICES = [("", "---------"), ("a", "Alpha & <b>"), (3, "三"), ('x"y', gettext_lazy("Name"))]
GROUPED = [("Fruit", [("apple", "Apple"), ("pear", "梨")]), ("Other", [("x", "X")]), ("z", "Z")]


def widgets():
    yield forms.Select(choices=CHOICES), "a"
    yield forms.Select(choices=CHOICES, attrs={"class": "form-select", "data-x": '"q"'}), 3
    yield forms.Select(choices=CHOICES, attrs={"disabled": True, "hidden": False}), None
    yield forms.SelectMultiple(choices=CHOICES), ["a", "3"]
    yield forms.SelectMultiple(choices=GROUPED, attrs={"size": 4}), ["pear", "z"]
    yield forms.Select(choices=GROUPED), "x"
    yield forms.NullBooleanSelect(), True
    yield forms.Select(choices=[(mark_safe("<i>"), mark_safe("<b>safe</b>"))]), "<i>"
    yield forms.Select(choices=[]), None


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(("widget", "value"), list(widgets()))
def test_a_select_renders_as_the_templates_render_it(language, widget, value):
    with translation.override(language):
        expected = widget.render("f", value, {"id": "id_f"}, renderer=DjangoTemplates())
        fast = widget.render("f", value, {"id": "id_f"}, renderer=FastSelectRenderer())

    assert fast == expected


def test_other_widgets_still_go_through_the_templates():
    widget = forms.RadioSelect(choices=CHOICES)

    fast = widget.render("f", "a", renderer=FastSelectRenderer())

    assert fast == widget.render("f", "a", renderer=DjangoTemplates())
    assert 'type="radio"' in fast
