"""Campaigns: where leads come from and what they cost."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core import search
from guanxi.core.models import OwnedRecord

CURRENCIES = [
    ("CNY", "CNY ¥"),
    ("USD", "USD $"),
    ("EUR", "EUR €"),
    ("HKD", "HKD $"),
    ("JPY", "JPY ¥"),
    ("GBP", "GBP £"),
]


class Campaign(OwnedRecord):
    """A marketing campaign; its cost gives cost per lead and per win in the funnel."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PLANNED)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    cost = models.DecimalField(
        _("cost"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="CNY")
    description = models.TextField(_("description"), blank=True)
    search_tokens = models.TextField(blank=True, editable=False, default="")

    class Meta:
        ordering = ["-start_date", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name

    def derive_fields(self) -> None:
        self.name = (self.name or "").strip()
        self.search_tokens = search.join_tokens(search.tokens_for_name(self.name))

    def get_absolute_url(self) -> str:
        return reverse("marketing:campaign-detail", args=[self.pk])

    @property
    def cost_display(self) -> str:
        """The cost with its currency, as a list or page shows it."""
        from guanxi.core.templatetags.guanxi import money

        return money(self.cost, self.currency) if self.cost is not None else ""

    @classmethod
    def search_queryset(cls, qs: models.QuerySet) -> models.QuerySet:
        return qs

    def search_hit(self) -> search.SearchHit:
        return search.SearchHit(
            object_type="campaign",
            id=self.pk,
            title=self.name,
            subtitle=str(self.get_status_display()),
            url=self.get_absolute_url(),
            rank=float(getattr(self, "search_rank", 0) or 0),
        )

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end is before the start.")})
