"""Customers: accounts (companies, people, households), their contacts, consent and class flow."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import EmailValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypinyin import lazy_pinyin

from guanxi.core import search
from guanxi.core.models import OwnedRecord, Tag, recently_changed_index, sort_indexes
from guanxi.core.validators import validate_cn_mobile, validate_phone, validate_uscc


class RelationshipClass(models.TextChoices):
    """DOMAIN.md §3: the customer's relationship with us, moved along the flow model."""

    NON_CUSTOMER = "non_customer", _("Non-customer")
    POTENTIAL = "potential", _("Potential customer")
    TARGET = "target", _("Target customer")
    FIRST_TIME = "first_time", _("First-time buyer")
    REPEAT = "repeat", _("Repeat buyer")
    LOYAL = "loyal", _("Loyal customer")
    LOST = "lost", _("Lost customer")


CURRENT_CLASSES = (RelationshipClass.FIRST_TIME, RelationshipClass.REPEAT, RelationshipClass.LOYAL)

# The customer flow model (客户流转模式): which class may follow which.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    RelationshipClass.NON_CUSTOMER: frozenset({RelationshipClass.POTENTIAL}),
    RelationshipClass.POTENTIAL: frozenset({RelationshipClass.TARGET}),
    RelationshipClass.TARGET: frozenset({RelationshipClass.FIRST_TIME}),
    RelationshipClass.FIRST_TIME: frozenset({RelationshipClass.REPEAT, RelationshipClass.LOST}),
    RelationshipClass.REPEAT: frozenset({RelationshipClass.LOYAL, RelationshipClass.LOST}),
    RelationshipClass.LOYAL: frozenset({RelationshipClass.LOST}),
    RelationshipClass.LOST: frozenset(
        {RelationshipClass.REPEAT, RelationshipClass.LOYAL, RelationshipClass.NON_CUSTOMER}
    ),
}


class AccountKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PERSON = "person", _("Person")
    HOUSEHOLD = "household", _("Household")


class SourceClass(models.TextChoices):
    END = "end", _("End customer")
    INTERMEDIARY = "intermediary", _("Intermediary (agent, distributor)")
    PUBLIC_INTEREST = "public_interest", _("Public-interest body")
    INTERNAL = "internal", _("Internal customer")


class RegionClass(models.TextChoices):
    OWN_REGION = "own_region", _("Domestic, own region")
    OTHER_REGION = "other_region", _("Domestic, other region")
    FOREIGN = "foreign", _("Foreign")


class Settlement(models.TextChoices):
    CASH = "cash", _("Cash")
    PREPAID = "prepaid", _("Prepaid")
    CREDIT = "credit", _("Credit")


class ReceivablesClass(models.TextChoices):
    NONE = "none", _("No receivables")
    SHORT_TERM = "short_term", _("Short-term receivables")
    LONG_TERM = "long_term", _("Long-term receivables")
    BAD_DEBT = "bad_debt", _("Bad debt")


class Profitability(models.TextChoices):
    PROFITABLE = "profitable", _("Profitable")
    UNPROFITABLE = "unprofitable", _("Unprofitable")


class ProfitContribution(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    CORE = "core", _("Core")
    VIP = "vip", _("VIP")


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    RETAIL = "retail", _("Retail and wholesale")
    FINANCE = "finance", _("Finance and insurance")
    IT = "it", _("Information technology")
    TELECOM = "telecom", _("Telecommunications")
    HEALTHCARE = "healthcare", _("Healthcare")
    EDUCATION = "education", _("Education")
    CONSTRUCTION = "construction", _("Construction and real estate")
    LOGISTICS = "logistics", _("Transport and logistics")
    ENERGY = "energy", _("Energy and utilities")
    HOSPITALITY = "hospitality", _("Hospitality and catering")
    AGRICULTURE = "agriculture", _("Agriculture")
    GOVERNMENT = "government", _("Government and public sector")
    MEDIA = "media", _("Media and entertainment")
    SERVICES = "services", _("Professional services")
    OTHER = "other", _("Other")


def name_pinyin(name: str) -> tuple[str, str]:
    """Full pinyin and initials of a name (``张三`` → ``zhangsan``, ``zs``)."""
    syllables = [s.lower() for s in lazy_pinyin(name or "") if s.strip()]
    full = "".join(s for s in syllables if s.isascii() and s.isalnum())
    initials = "".join(s[0] for s in syllables if s[:1].isascii() and s[:1].isalnum())
    return full[:300], initials[:100]


class SearchableRecordMixin(models.Model):
    """Pinyin of the name and the search tokens, derived before every write."""

    name_pinyin = models.CharField(_("pinyin"), max_length=300, blank=True, editable=False)
    name_initials = models.CharField(max_length=100, blank=True, editable=False, db_index=True)
    search_tokens = models.TextField(blank=True, editable=False, default="")
    last_activity_at = models.DateTimeField(
        _("last activity"), null=True, blank=True, editable=False, db_index=True
    )
    has_timeline = True

    class Meta:
        abstract = True

    def token_sources(self) -> list[str]:
        raise NotImplementedError

    def derive_fields(self) -> None:
        self.name = (self.name or "").strip()
        self.name_pinyin, self.name_initials = name_pinyin(self.name)
        self.search_tokens = search.join_tokens(self.token_sources())

    def touch_activity(self, when: Any) -> None:
        type(self).all_objects.filter(pk=self.pk).filter(
            models.Q(last_activity_at__lt=when) | models.Q(last_activity_at__isnull=True)
        ).update(last_activity_at=when)

    @classmethod
    def search_queryset(cls, qs: models.QuerySet) -> models.QuerySet:
        return qs


class Account(SearchableRecordMixin, OwnedRecord):
    """A customer: a company (B2B) or a person or household (B2C)."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=10, choices=AccountKind, default=AccountKind.COMPANY
    )
    industry = models.CharField(_("industry"), max_length=20, choices=Industry, blank=True)
    relationship_class = models.CharField(
        _("relationship"),
        max_length=20,
        choices=RelationshipClass,
        default=RelationshipClass.POTENTIAL,
        db_index=True,
    )
    source_class = models.CharField(
        _("source"), max_length=20, choices=SourceClass, default=SourceClass.END
    )
    region_class = models.CharField(
        _("region"), max_length=20, choices=RegionClass, default=RegionClass.OWN_REGION
    )
    settlement = models.CharField(
        _("settlement"), max_length=10, choices=Settlement, default=Settlement.CASH
    )
    receivables_class = models.CharField(
        _("receivables"), max_length=12, choices=ReceivablesClass, default=ReceivablesClass.NONE
    )
    profitability = models.CharField(
        _("profitability"), max_length=12, choices=Profitability, blank=True
    )
    profit_contribution = models.CharField(
        _("profit contribution"),
        max_length=10,
        choices=ProfitContribution,
        default=ProfitContribution.ORDINARY,
    )
    tax_number = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        db_index=True,
        validators=[validate_uscc],
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_phone])
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    country = models.CharField(_("country"), max_length=2, default="CN", blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True, db_index=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    description = models.TextField(_("description"), blank=True)
    # customer pool (公海): when the account last won a deal, and the pool job's warning
    last_won_at = models.DateTimeField(_("last deal won"), null=True, blank=True, editable=False)
    pool_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    pooled_at = models.DateTimeField(_("in the pool since"), null=True, blank=True, editable=False)

    soft_delete_children = ("contacts",)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            recently_changed_index("account_recent"),
            models.Index(fields=["owner", "deleted_at"]),
            models.Index(fields=["team", "deleted_at"]),
            models.Index(fields=["name"]),
            models.Index(fields=["-created_at"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["email"]),
            # The list filters match city and province case-insensitively (UPPER(city) = …
            # on PostgreSQL), which the plain column index cannot answer. Not partial: the
            # planner only uses statistics of a whole-table expression index.
            models.Index(Upper("city"), name="account_city_upper"),
            models.Index(Upper("province"), name="account_province_upper"),
            # every column the list pages sort by (see AccountTable and PoolTable)
            *sort_indexes(
                "account",
                [
                    "kind",
                    "relationship_class",
                    "industry",
                    "source_class",
                    "region_class",
                    "settlement",
                    "receivables_class",
                    "profitability",
                    "profit_contribution",
                    "province",
                    "city",
                    "tax_number",
                    "rating",
                    "last_activity_at",
                    "pooled_at",
                ],
                nullable=["rating", "last_activity_at", "pooled_at"],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def access_q(cls, user: Any, write: bool) -> models.Q:
        """Besides the common rules, every sales user may browse the pool (accounts without an
        owner) to claim from it; editing needs the claim first."""
        q = super().access_q(user, write)
        if not q:  # an empty Q opens everything; OR-ing to it would narrow it
            return q
        if (
            not write
            and user is not None
            and user.is_authenticated
            and getattr(user, "kind", "staff") == "staff"
            and user.has_action("account", "edit")
        ):
            q |= models.Q(owner__isnull=True)
        return q

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        self.tax_number = (self.tax_number or "").strip().upper()
        self.email = (self.email or "").strip().lower()
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("An account cannot be its own parent.")})

    def token_sources(self) -> list[str]:
        return [
            *search.tokens_for_name(self.name),
            *search.tokens_for_phone(self.phone),
            *search.tokens_for_email(self.email),
            *search.tokens_for_code(self.tax_number),
        ]

    def get_absolute_url(self) -> str:
        return reverse("customers:account-detail", args=[self.pk])

    def search_hit(self) -> search.SearchHit:
        return search.SearchHit(
            object_type="account",
            id=self.pk,
            title=self.name,
            subtitle=" · ".join(filter(None, [self.city, self.phone, self.tax_number])),
            url=self.get_absolute_url(),
            rank=float(getattr(self, "search_rank", 0) or 0),
        )

    def merged_ids(self) -> list[int]:
        from guanxi.core.models import Merge

        return list(
            Merge.objects.filter(
                object_type="account", survivor_id=self.pk, undone_at__isnull=True
            ).values_list("merged_id", flat=True)
        )

    @classmethod
    def undo_merge(cls, actor: Any, restored: Account, entry: Any) -> None:
        from .services import undo_account_merge

        undo_account_merge(actor, restored, entry)


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    TECHNICAL_BUYER = "technical_buyer", _("Technical buyer")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    CHAMPION = "champion", _("Champion")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("Visit")


class ConsentStatus(models.TextChoices):
    UNKNOWN = "", _("Not asked")
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CONSENT_CHANNELS = (Channel.EMAIL, Channel.PHONE, Channel.SMS)


class Contact(SearchableRecordMixin, OwnedRecord):
    """A person, usually at an account, with their role in the buying decision."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    buying_role = models.CharField(_("buying role"), max_length=20, choices=BuyingRole, blank=True)
    mobile = models.CharField(
        _("mobile"), max_length=20, blank=True, validators=[validate_cn_mobile], db_index=True
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_phone])
    email = models.CharField(
        _("email"), max_length=254, blank=True, validators=[EmailValidator()], db_index=True
    )
    wechat_id = models.CharField(_("WeChat ID"), max_length=50, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel, blank=True
    )
    consent_email = models.CharField(
        _("email consent"), max_length=10, choices=ConsentStatus, blank=True, editable=False
    )
    consent_phone = models.CharField(
        _("phone consent"), max_length=10, choices=ConsentStatus, blank=True, editable=False
    )
    consent_sms = models.CharField(
        _("SMS consent"), max_length=10, choices=ConsentStatus, blank=True, editable=False
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    description = models.TextField(_("description"), blank=True)

    access_parent = "account"

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            recently_changed_index("contact_recent"),
            models.Index(fields=["owner", "deleted_at"]),
            models.Index(fields=["team", "deleted_at"]),
            models.Index(fields=["name"]),
            # every column the list page sorts by (see ContactTable)
            *sort_indexes(
                "contact",
                [
                    "title",
                    "department",
                    "buying_role",
                    "preferred_channel",
                    "last_activity_at",
                    "created_at",
                ],
                nullable=["last_activity_at"],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from guanxi.core.validators import normalise_mobile

        self.email = (self.email or "").strip().lower()
        if self.mobile:
            self.mobile = normalise_mobile(self.mobile)

    def token_sources(self) -> list[str]:
        return [
            *search.tokens_for_name(self.name),
            *search.tokens_for_phone(self.mobile),
            *search.tokens_for_phone(self.phone),
            *search.tokens_for_email(self.email),
            *search.tokens_for_code(self.wechat_id),
        ]

    def log_parent(self) -> Account | None:
        return self.account

    def get_absolute_url(self) -> str:
        return reverse("customers:contact-detail", args=[self.pk])

    @classmethod
    def search_queryset(cls, qs: models.QuerySet) -> models.QuerySet:
        return qs.select_related("account")

    def search_hit(self) -> search.SearchHit:
        return search.SearchHit(
            object_type="contact",
            id=self.pk,
            title=self.name,
            subtitle=" · ".join(
                filter(None, [self.account.name if self.account else "", self.mobile, self.email])
            ),
            url=self.get_absolute_url(),
            rank=float(getattr(self, "search_rank", 0) or 0),
        )


class ConsentRecord(models.Model):
    """One grant or withdrawal of consent to be contacted on one channel (PIPL-style proof)."""

    class Method(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        VERBAL = "verbal", _("Verbal")
        WRITTEN = "written", _("Written")
        EMAIL = "email", _("Email reply or link")
        IMPORT = "import", _("Imported")
        PORTAL = "portal", _("Self-service portal")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    status = models.CharField(_("status"), max_length=10, choices=ConsentStatus)
    method = models.CharField(_("how"), max_length=10, choices=Method)
    at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.contact} {self.channel} {self.status}"


class ClassTransition(models.Model):
    """One move of an account along the customer flow model, kept for the flow report."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="transitions")
    from_class = models.CharField(_("from"), max_length=20, choices=RelationshipClass, blank=True)
    to_class = models.CharField(_("to"), max_length=20, choices=RelationshipClass)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("class transition")
        verbose_name_plural = _("class transitions")

    def __str__(self) -> str:
        return f"{self.account}: {self.from_class} → {self.to_class}"


class PoolRule(models.Model):
    """When an account of a relationship class goes back to the pool (公海).

    An account whose owner logged no follow-up for ``days_without_followup`` days, or won no
    deal in ``days_without_win`` days, is returned by the pool job, after a warning to its
    owner ``warning_days`` before.
    """

    relationship_class = models.CharField(
        _("relationship"), max_length=20, choices=RelationshipClass, unique=True
    )
    days_without_followup = models.PositiveIntegerField(
        _("days without follow-up"), null=True, blank=True
    )
    days_without_win = models.PositiveIntegerField(
        _("days without a won deal"), null=True, blank=True
    )
    warning_days = models.PositiveIntegerField(_("warn the owner days before"), default=3)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["relationship_class"]
        verbose_name = _("pool rule")
        verbose_name_plural = _("pool rules")

    def __str__(self) -> str:
        return self.get_relationship_class_display()


class PoolCap(models.Model):
    """How many accounts a user with this role may hold (claims beyond it are refused)."""

    role = models.OneToOneField("core.Role", on_delete=models.CASCADE, related_name="pool_cap")
    max_accounts = models.PositiveIntegerField(_("most accounts held"))

    class Meta:
        verbose_name = _("pool cap")
        verbose_name_plural = _("pool caps")

    def __str__(self) -> str:
        return f"{self.role}: {self.max_accounts}"
