"""Pipelines with configurable stages, opportunities and what happens to them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core import search
from guanxi.core.models import OwnedRecord, Tag, recently_changed_index, sort_indexes
from guanxi.customers.models import Account, BuyingRole, Contact

CURRENCIES = [
    ("CNY", "CNY ¥"),
    ("USD", "USD $"),
    ("EUR", "EUR €"),
    ("HKD", "HKD $"),
    ("JPY", "JPY ¥"),
    ("GBP", "GBP £"),
]


class Pipeline(models.Model):
    """A sales process: an ordered list of stages."""

    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self) -> str:
        # the built-in pipeline's English name is in the catalogue (services.DEFAULT_PIPELINE)
        return str(_(self.name))

    @classmethod
    def default(cls) -> Pipeline | None:
        return cls.objects.filter(is_active=True).order_by("-is_default", "pk").first()


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Closed won")
    LOST = "lost", _("Closed lost")


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability %"), default=0, validators=[MaxValueValidator(100)]
    )
    kind = models.CharField(_("kind"), max_length=5, choices=StageKind, default=StageKind.OPEN)

    class Meta:
        ordering = ["pipeline", "order", "pk"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return str(_(self.name))

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    CLOSED = "closed", _("Closed")
    OMITTED = "omitted", _("Omitted")


class Opportunity(OwnedRecord):
    """A possible deal with an account, moving through the stages of one pipeline."""

    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="opportunities"
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=18,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="CNY")
    probability = models.PositiveSmallIntegerField(
        _("probability %"), default=0, validators=[MaxValueValidator(100)]
    )
    expected_close_date = models.DateField(
        _("expected close"), null=True, blank=True, db_index=True
    )
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=10,
        choices=ForecastCategory,
        default=ForecastCategory.PIPELINE,
    )
    products_of_interest = models.TextField(_("products of interest"), blank=True)
    competitors = models.CharField(_("competitors"), max_length=300, blank=True)
    loss_reason = models.CharField(_("loss reason"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    source_lead_id = models.BigIntegerField(null=True, blank=True, editable=False)
    stage_entered_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    search_tokens = models.TextField(blank=True, editable=False, default="")

    has_timeline = True
    soft_delete_children = ("objections",)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            recently_changed_index("opportunity_recent"),
            # every column the list page sorts by (see OpportunityTable)
            *sort_indexes(
                "opportunity",
                ["name", "amount", "probability", "forecast_category", "closed_at", "created_at"],
                nullable=["closed_at", "expected_close_date"],
            ),
            models.Index(fields=["pipeline", "stage", "deleted_at"]),
            models.Index(fields=["owner", "deleted_at"]),
            models.Index(fields=["team", "deleted_at"]),
            models.Index(fields=["expected_close_date", "stage"]),
            # the board's cards: a column's biggest deals first, read in index order
            models.Index(
                fields=["stage", "-amount", "id"],
                condition=models.Q(deleted_at__isnull=True),
                name="opp_board_cards",
            ),
            # the forecast: every column it reads, so PostgreSQL answers from the index alone
            # (SQLite, without covering indexes, gets a plain partial index on the date)
            models.Index(
                fields=["expected_close_date"],
                include=[
                    "stage",
                    "owner",
                    "team",
                    "currency",
                    "forecast_category",
                    "amount",
                    "probability",
                    "id",  # the share rule of visible_to reads it
                ],
                condition=models.Q(deleted_at__isnull=True),
                name="opp_forecast_cover",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def derive_fields(self) -> None:
        self.search_tokens = search.join_tokens(search.tokens_for_name(self.name))

    def get_absolute_url(self) -> str:
        return reverse("sales:opportunity-detail", args=[self.pk])

    def log_parent(self) -> Account | None:
        return self.account

    @property
    def is_closed(self) -> bool:
        return self.stage.kind != StageKind.OPEN

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * Decimal(self.probability) / Decimal(100)).quantize(Decimal("0.01"))

    @classmethod
    def search_queryset(cls, qs: models.QuerySet) -> models.QuerySet:
        return qs.select_related("account", "stage")

    def search_hit(self) -> search.SearchHit:
        return search.SearchHit(
            object_type="opportunity",
            id=self.pk,
            title=self.name,
            subtitle=f"{self.account.name} · {self.stage}",
            url=self.get_absolute_url(),
            rank=float(getattr(self, "search_rank", 0) or 0),
        )


class OpportunityContact(models.Model):
    """A decision maker or influencer on an opportunity, with their role in the decision."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="decision_makers"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("buying role"), max_length=20, choices=BuyingRole, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "contact"], name="opp_contact_once")
        ]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_role_display()})"


class StageHistory(models.Model):
    """Each stage an opportunity was in, and for how long (sales velocity)."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_history"
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["entered_at", "pk"]
        verbose_name = _("stage history")
        verbose_name_plural = _("stage history")

    def __str__(self) -> str:
        return f"{self.opportunity} @ {self.stage}"

    @property
    def days(self) -> float:
        end = self.left_at or timezone.now()
        return round((end - self.entered_at).total_seconds() / 86400, 1)


class ObjectionType(models.TextChoices):
    PRICE = "price", _("Price")
    NEED = "need", _("Need")
    PRODUCT = "product", _("Product")
    SOURCE = "source", _("Source (company or salesperson)")
    TIMING = "timing", _("Timing")
    COMPETITOR = "competitor", _("Competitor")
    AUTHORITY = "authority", _("Authority to buy")
    OTHER = "other", _("Other")


class Objection(OwnedRecord):
    """An objection (异议) raised during a sale, and how it was handled."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="objections",
    )
    type = models.CharField(_("type"), max_length=12, choices=ObjectionType)
    description = models.TextField(_("objection"))
    handling = models.TextField(_("how it was handled"), blank=True)
    resolved = models.BooleanField(_("resolved"), default=False)
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)

    access_parent = "opportunity"

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.description[:50]}"

    def log_parent(self) -> Any:
        return self.opportunity
