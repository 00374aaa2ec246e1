"""Leads (潜在销售机会): capture, one qualification standard, fair allocation, nurturing."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import EmailValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core import search
from guanxi.core.models import OwnedRecord, Tag, Team, recently_changed_index, sort_indexes
from guanxi.core.validators import validate_cn_mobile, validate_phone
from guanxi.customers.models import Industry

CURRENCIES = [
    ("CNY", "CNY ¥"),
    ("USD", "USD $"),
    ("EUR", "EUR €"),
    ("HKD", "HKD $"),
    ("JPY", "JPY ¥"),
    ("GBP", "GBP £"),
]


class LeadSource(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    TRADE_SHOW = "trade_show", _("Trade show")
    BUSINESS_CARD = "business_card", _("Business card")
    CAMPAIGN = "campaign", _("Campaign")
    REFERRAL = "referral", _("Referral")
    PHONE_IN = "phone_in", _("Inbound call")
    COLD_CALL = "cold_call", _("Cold call")
    PARTNER = "partner", _("Partner")
    SOCIAL = "social", _("Social media")
    OTHER = "other", _("Other")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    NURTURING = "nurturing", _("Nurturing")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONVERTED = "converted", _("Converted")


OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.NURTURING, LeadStatus.QUALIFIED)


class DecisionTimeline(models.TextChoices):
    NOW = "now", _("Immediately")
    QUARTER = "quarter", _("Within 3 months")
    HALF_YEAR = "half_year", _("Within 6 months")
    YEAR = "year", _("Within a year")
    UNKNOWN = "unknown", _("Unknown")


class Lead(OwnedRecord):
    """A person or company that may buy, before it is qualified and converted."""

    person_name = models.CharField(_("name"), max_length=100)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    mobile = models.CharField(
        _("mobile"), max_length=20, blank=True, validators=[validate_cn_mobile]
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_phone])
    email = models.CharField(_("email"), max_length=254, blank=True, validators=[EmailValidator()])
    source = models.CharField(
        _("source"), max_length=20, choices=LeadSource, default=LeadSource.OTHER, db_index=True
    )
    campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    web_form = models.ForeignKey(
        "leads.WebForm",
        verbose_name=_("web form"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        editable=False,
    )
    industry = models.CharField(_("industry"), max_length=20, choices=Industry, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    product_interest = models.CharField(_("product interest"), max_length=200, blank=True)
    budget = models.DecimalField(
        _("budget"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="CNY")
    need = models.TextField(_("need"), blank=True)
    decision_timeline = models.CharField(
        _("decision timeline"), max_length=10, choices=DecisionTimeline, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=LeadStatus, default=LeadStatus.NEW, db_index=True
    )
    disqualify_reason = models.CharField(_("disqualification reason"), max_length=200, blank=True)
    opted_out = models.BooleanField(_("opted out of messages"), default=False)
    score = models.IntegerField(_("score"), default=0, editable=False, db_index=True)
    score_breakdown = models.JSONField(default=list, blank=True, editable=False)
    predicted_conversion = models.FloatField(
        _("predicted conversion"), null=True, blank=True, editable=False
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True, editable=False)
    first_contacted_at = models.DateTimeField(
        _("first contacted"), null=True, blank=True, editable=False
    )
    qualified_at = models.DateTimeField(_("qualified"), null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True, editable=False)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)
    converted_account = models.ForeignKey(
        "customers.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_leads",
        editable=False,
    )
    converted_contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_leads",
        editable=False,
    )
    converted_opportunity = models.ForeignKey(
        "sales.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_leads",
        editable=False,
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    search_tokens = models.TextField(blank=True, editable=False, default="")
    last_activity_at = models.DateTimeField(
        _("last activity"), null=True, blank=True, editable=False
    )

    has_timeline = True

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            recently_changed_index("lead_recent"),
            # every column the list page sorts by (see LeadTable)
            *sort_indexes(
                "lead",
                [
                    "person_name",
                    "company",
                    "title",
                    "industry",
                    "province",
                    "city",
                    "decision_timeline",
                    "first_contacted_at",
                    "last_activity_at",
                    "score",
                    "status",
                    "source",
                ],
                nullable=["first_contacted_at", "last_activity_at"],
            ),
            models.Index(fields=["owner", "status", "deleted_at"]),
            models.Index(fields=["team", "status", "deleted_at"]),
            models.Index(fields=["-created_at"]),
            models.Index(fields=["email"]),
            models.Index(fields=["mobile"]),
            # the funnel (guanxi.leads.funnel) reads a date range of leads from this index
            # alone on PostgreSQL, not from the wide rows (SQLite: a plain partial index)
            models.Index(
                fields=["created_at"],
                include=[
                    "owner",
                    "team",
                    "id",
                    "status",
                    "source",
                    "campaign",
                    "qualified_at",
                    "first_contacted_at",
                    "converted_opportunity",
                ],
                condition=models.Q(deleted_at__isnull=True),
                name="lead_funnel_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_name} ({self.company})" if self.company else self.person_name

    def clean(self) -> None:
        from guanxi.core.validators import normalise_mobile

        self.email = (self.email or "").strip().lower()
        if self.mobile:
            self.mobile = normalise_mobile(self.mobile)

    def derive_fields(self) -> None:
        self.person_name = (self.person_name or "").strip()
        self.search_tokens = search.join_tokens(
            [
                *search.tokens_for_name(self.person_name),
                *search.tokens_for_name(self.company),
                *search.tokens_for_phone(self.mobile),
                *search.tokens_for_phone(self.phone),
                *search.tokens_for_email(self.email),
            ]
        )

    def get_absolute_url(self) -> str:
        return reverse("leads:lead-detail", args=[self.pk])

    def touch_activity(self, when: Any) -> None:
        type(self).all_objects.filter(pk=self.pk).filter(
            models.Q(last_activity_at__lt=when) | models.Q(last_activity_at__isnull=True)
        ).update(last_activity_at=when)

    @classmethod
    def search_queryset(cls, qs: models.QuerySet) -> models.QuerySet:
        return qs

    def search_hit(self) -> search.SearchHit:
        return search.SearchHit(
            object_type="lead",
            id=self.pk,
            title=str(self),
            subtitle=" · ".join(filter(None, [self.get_status_display(), self.mobile, self.email])),
            url=self.get_absolute_url(),
            rank=float(getattr(self, "search_rank", 0) or 0),
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class BehaviourKind(models.TextChoices):
    EMAIL_REPLY = "email_reply", _("Replied to an email")
    EMAIL_OPEN = "email_open", _("Opened an email")
    WEB_VISIT = "web_visit", _("Visited the website")
    FORM_SUBMIT = "form_submit", _("Submitted a form")
    EVENT_ATTENDED = "event_attended", _("Attended an event")
    CALL_ANSWERED = "call_answered", _("Answered a call")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class LeadBehaviour(models.Model):
    """Something a lead did that the scoring model may reward or penalise."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="behaviours")
    kind = models.CharField(_("what"), max_length=20, choices=BehaviourKind)
    at = models.DateTimeField(_("when"), default=timezone.now)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("lead behaviour")
        verbose_name_plural = _("lead behaviours")

    def __str__(self) -> str:
        return f"{self.lead}: {self.kind}"


class ScoringOperator(models.TextChoices):
    EQUALS = "equals", _("equals")
    NOT_EQUALS = "not_equals", _("does not equal")
    CONTAINS = "contains", _("contains")
    IS_SET = "is_set", _("is filled in")
    IS_EMPTY = "is_empty", _("is empty")
    GTE = "gte", _("is at least")
    LTE = "lte", _("is at most")
    IN = "in", _("is one of (comma-separated)")


SCORABLE_FIELDS = (
    "source",
    "industry",
    "province",
    "city",
    "title",
    "company",
    "email",
    "mobile",
    "phone",
    "budget",
    "decision_timeline",
    "product_interest",
    "need",
    "campaign",
)


class LeadScoringRule(models.Model):
    """One rule of the qualification standard: a field condition or a behaviour, with points."""

    class Kind(models.TextChoices):
        FIELD = "field", _("Field")
        BEHAVIOUR = "behaviour", _("Behaviour")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.FIELD)
    field = models.CharField(
        _("field"), max_length=30, blank=True, choices=[(f, f) for f in SCORABLE_FIELDS]
    )
    operator = models.CharField(_("operator"), max_length=12, choices=ScoringOperator, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    behaviour = models.CharField(_("behaviour"), max_length=20, choices=BehaviourKind, blank=True)
    points = models.IntegerField(_("points"))
    max_times = models.PositiveSmallIntegerField(
        _("counted at most"),
        default=1,
        help_text=_("For behaviours: how many occurrences add points."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("lead scoring rule")
        verbose_name_plural = _("lead scoring rules")

    def __str__(self) -> str:
        return self.name

    def condition_display(self) -> str:
        """The rule's condition in words: "Budget is at least 100000", "Replied to an email"."""
        if self.kind == self.Kind.BEHAVIOUR:
            text = str(self.get_behaviour_display())
            if self.max_times > 1:
                text += " " + str(_("(up to %(n)s times)") % {"n": self.max_times})
            return text
        try:
            label = str(Lead._meta.get_field(self.field).verbose_name).capitalize()
        except Exception:  # noqa: BLE001 - a field that no longer exists shows its name
            label = self.field
        operator = str(self.get_operator_display())
        if self.operator in (ScoringOperator.IS_SET, ScoringOperator.IS_EMPTY):
            return f"{label} {operator}"
        return f"{label} {operator} “{self.value}”"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.kind == self.Kind.FIELD and not (self.field and self.operator):
            raise ValidationError({"field": _("A field rule needs a field and an operator.")})
        if self.kind == self.Kind.BEHAVIOUR and not self.behaviour:
            raise ValidationError({"behaviour": _("A behaviour rule needs a behaviour.")})
        if self.operator in (ScoringOperator.GTE, ScoringOperator.LTE):
            try:
                Decimal(self.value)
            except Exception as exc:
                raise ValidationError({"value": _("Enter a number.")}) from exc


class ScoringSettings(models.Model):
    """The threshold that marks a lead qualified (one row)."""

    qualify_threshold = models.IntegerField(_("qualification threshold"), default=50)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("scoring settings")
        verbose_name_plural = _("scoring settings")

    def __str__(self) -> str:
        return f"threshold {self.qualify_threshold}"

    @classmethod
    def current(cls) -> ScoringSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class AssignmentMethod(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class TimeoutAction(models.TextChoices):
    ESCALATE = "escalate", _("Escalate to the team's manager")
    REQUEUE = "requeue", _("Back to the queue (next rep)")


class AssignmentRule(models.Model):
    """Routes matching new leads to a team, then to a rep of the team.

    Empty conditions match everything; rules are tried in ``order``, the first match wins.
    """

    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    provinces = models.CharField(_("provinces (comma-separated)"), max_length=500, blank=True)
    industries = models.CharField(
        _("industries (comma-separated codes)"), max_length=500, blank=True
    )
    sources = models.CharField(_("sources (comma-separated codes)"), max_length=500, blank=True)
    product_keywords = models.CharField(
        _("product keywords (comma-separated)"), max_length=500, blank=True
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="+"
    )
    method = models.CharField(
        _("method"), max_length=15, choices=AssignmentMethod, default=AssignmentMethod.ROUND_ROBIN
    )
    contact_within_hours = models.PositiveIntegerField(
        _("contact within (hours)"), null=True, blank=True
    )
    on_timeout = models.CharField(
        _("when not contacted in time"),
        max_length=10,
        choices=TimeoutAction,
        default=TimeoutAction.ESCALATE,
    )
    # round-robin position: the last user given a lead by this rule
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def _items(text: str) -> list[str]:
        return [item.strip().lower() for item in text.replace("，", ",").split(",") if item.strip()]

    def matches(self, lead: Lead) -> bool:
        provinces = self._items(self.provinces)
        if provinces and (lead.province or "").strip().lower() not in provinces:
            return False
        industries = self._items(self.industries)
        if industries and lead.industry not in industries:
            return False
        sources = self._items(self.sources)
        if sources and lead.source not in sources:
            return False
        keywords = self._items(self.product_keywords)
        interest = (lead.product_interest or "").lower()
        return not keywords or any(k in interest for k in keywords)


class RepAvailability(models.Model):
    """A rep's capacity for open leads and their absences."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    max_open_leads = models.PositiveIntegerField(
        _("most open leads at once"), null=True, blank=True
    )
    absent_from = models.DateTimeField(_("absent from"), null=True, blank=True)
    absent_until = models.DateTimeField(_("absent until"), null=True, blank=True)
    accepts_leads = models.BooleanField(_("takes new leads"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("rep availability")
        verbose_name_plural = _("rep availability")

    def __str__(self) -> str:
        return str(self.user)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.absent_from and self.absent_until and self.absent_until <= self.absent_from:
            raise ValidationError({"absent_until": _("The absence ends before it starts.")})
        if self.absent_until and not self.absent_from:
            raise ValidationError({"absent_from": _("Say when the absence starts.")})

    def is_absent(self, at: Any) -> bool:
        return bool(
            self.absent_from
            and self.absent_from <= at
            and (self.absent_until is None or at < self.absent_until)
        )


def _form_token() -> str:
    return secrets.token_urlsafe(16)


class WebForm(models.Model):
    """A public form a company embeds on its site; each submit becomes a lead."""

    name = models.CharField(_("name"), max_length=100)
    token = models.CharField(max_length=40, unique=True, default=_form_token, editable=False)
    source = models.CharField(
        _("source"), max_length=20, choices=LeadSource, default=LeadSource.WEB_FORM
    )
    campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    fields = models.JSONField(_("fields shown"), default=list, blank=True)
    thank_you_message = models.TextField(_("thank-you message"), blank=True)
    redirect_url = models.URLField(_("redirect after submit"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.name


class Sequence(models.Model):
    """A nurturing sequence: steps (tasks, emails, waits) that enrolled leads go through."""

    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("nurturing sequence")
        verbose_name_plural = _("nurturing sequences")

    def __str__(self) -> str:
        return self.name


class SequenceStep(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", _("Send email")
        TASK = "task", _("Create task")
        WAIT = "wait", _("Wait")

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind)
    wait_days = models.PositiveSmallIntegerField(_("wait (days)"), default=0)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)

    class Meta:
        ordering = ["sequence", "order", "pk"]
        verbose_name = _("sequence step")
        verbose_name_plural = _("sequence steps")

    def __str__(self) -> str:
        return f"{self.sequence} #{self.order} {self.kind}"


class Enrollment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        STOPPED = "stopped", _("Stopped")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="enrollments")
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="enrollments")
    next_step = models.PositiveSmallIntegerField(default=0)
    next_run_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACTIVE)
    stop_reason = models.CharField(_("stop reason"), max_length=100, blank=True)
    enrolled_at = models.DateTimeField(default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-enrolled_at"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "sequence"],
                condition=models.Q(status="active"),
                name="one_active_enrolment_per_sequence",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead} in {self.sequence}"


class PredictiveModel(models.Model):
    """A conversion model learnt from the company's closed leads (see ``leads.predictive``).

    Kept as plain numbers (JSON), not a pickle: feature names, the logistic regression's
    coefficients on the raw features, its intercept, and how good it was on a hold-out.
    """

    trained_at = models.DateTimeField(_("trained"), default=timezone.now)
    n_samples = models.PositiveIntegerField(_("closed leads learnt from"))
    n_converted = models.PositiveIntegerField(_("of which converted"), default=0)
    n_holdout = models.PositiveIntegerField(_("hold-out leads"), default=0)
    auc = models.FloatField(_("AUC on the hold-out"), null=True, blank=True)
    feature_names = models.JSONField(_("features"), default=list)
    coefficients = models.JSONField(_("coefficients"), default=list)
    intercept = models.FloatField(_("intercept"), default=0.0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-trained_at", "-id"]
        verbose_name = _("predictive model")
        verbose_name_plural = _("predictive models")

    def __str__(self) -> str:
        return f"{self.trained_at:%Y-%m-%d} ({self.n_samples} leads)"
