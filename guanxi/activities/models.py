"""Activities (tasks, calls, meetings, visits), call lists for telesales, and calendar feeds.

An activity is an owned record that may hang on any record with a timeline (account, contact,
lead, opportunity). Who may see that record sees its activities, besides the usual owner /
team / share rules; a completed call, meeting or visit is written on the record's timeline.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core import search
from guanxi.core.models import (
    Action,
    OwnedRecord,
    Record,
    SavedView,
    User,
    recently_changed_index,
    sort_indexes,
    timeline_models,
)


class ActivityKind(models.TextChoices):
    TASK = "task", _("Task")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    VISIT = "visit", _("Visit")


class ActivityStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


#: Kinds that take place over a period (a start and an end) rather than at a due time.
TIMED_KINDS = frozenset({ActivityKind.MEETING, ActivityKind.VISIT})
#: Kinds written on the related record's timeline, as a note of the same kind, when done.
LOGGED_KINDS = frozenset({ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.VISIT})


def account_id_of(record: Any) -> int | None:
    """The account a record belongs to, for "everything on this account" queries."""
    if record is None:
        return None
    if record._meta.model_name == "account":
        return record.pk
    for attr in ("account_id", "converted_account_id"):
        if hasattr(record, attr):
            return getattr(record, attr)
    return None


class CallOutcome(models.Model):
    """How a call ended (reached and interested, no answer, call back …); set by administrators."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    is_success = models.BooleanField(
        _("counts as a success"),
        default=False,
        help_text=_("The person was reached and the call achieved its aim."),
    )
    schedules_callback = models.BooleanField(
        _("needs a next call"),
        default=False,
        help_text=_("Logging a call with this outcome asks when to call again."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("call outcome")
        verbose_name_plural = _("call outcomes")

    def __str__(self) -> str:
        # The built-in labels are in the message catalogue (see guanxi/activities/outcomes.py).
        return str(_(self.label))

    @property
    def etag(self) -> str:
        return f'"calloutcome-{self.pk}-v{self.version}"'


class Activity(OwnedRecord):
    """A task, call, meeting or visit, owned by the person who does it."""

    kind = models.CharField(
        _("kind"), max_length=10, choices=ActivityKind, default=ActivityKind.TASK, db_index=True
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # For meetings and visits the due time is their start: one column orders and ranges them all.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    start_at = models.DateTimeField(_("starts"), null=True, blank=True)
    end_at = models.DateTimeField(_("ends"), null=True, blank=True)
    all_day = models.BooleanField(_("all day"), default=False)
    location = models.CharField(_("location"), max_length=200, blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ActivityStatus, default=ActivityStatus.OPEN
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True, editable=False)
    outcome = models.ForeignKey(
        CallOutcome,
        verbose_name=_("outcome"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.TextField(_("result"), blank=True)
    reminder_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True, editable=False)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.BigIntegerField(null=True, blank=True)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        editable=False,
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendees"),
        blank=True,
        related_name="attended_activities",
    )
    note = models.ForeignKey(
        "core.Note",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    search_tokens = models.TextField(blank=True, editable=False, default="")
    # The record the activity is on (deleted ones included: the base manager sees them all);
    # prefetch_related("related") loads a page's records with one query per type.
    related = GenericForeignKey("content_type", "object_id")

    protected_fields = (
        *Record.protected_fields,
        "reminded_at",
        "account",
        "note",
        "search_tokens",
    )

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            recently_changed_index("activity_recent"),
            # every column the list page sorts by (see ActivityTable)
            *sort_indexes(
                "activity",
                ["subject", "kind", "status", "priority", "done_at", "created_at"],
                nullable=["done_at", "due_at"],
            ),
            models.Index(fields=["owner", "status", "due_at"]),
            models.Index(fields=["team", "status", "due_at"]),
            models.Index(fields=["due_at"]),
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["account", "due_at"]),
            models.Index(fields=["status", "done_at"]),
            models.Index(
                fields=["reminder_at"],
                condition=Q(reminded_at__isnull=True),
                name="activity_reminder_due",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("activities:activity-detail", args=[self.pk])

    # -- derived values -----------------------------------------------------------------------
    @property
    def related_type(self) -> str:
        if not self.content_type_id:
            return ""
        return ContentType.objects.get_for_id(self.content_type_id).model

    def log_parent(self) -> Record | None:
        return self.related

    def derive_fields(self) -> None:
        self.subject = (self.subject or "").strip()
        if self.kind in TIMED_KINDS and self.start_at:
            self.due_at = self.start_at
        if self.kind not in TIMED_KINDS:
            self.start_at = self.end_at = None
        self.account_id = account_id_of(self.related)
        self.search_tokens = search.join_tokens(search.tokens_for_name(self.subject))

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.kind in TIMED_KINDS and not self.start_at:
            errors["start_at"] = _("Say when the meeting or visit starts.")
        if self.start_at and self.end_at and self.end_at < self.start_at:
            errors["end_at"] = _("It ends before it starts.")
        if self.content_type_id:
            model = ContentType.objects.get_for_id(self.content_type_id).model_class()
            if model is None or not getattr(model, "has_timeline", False):
                errors["object_type"] = _(
                    "Activities can only be on accounts, contacts, leads and opportunities."
                )
            elif not self.object_id:
                errors["object_id"] = _("Name the record the activity is on.")
        elif self.object_id:
            errors["object_type"] = _("Say what kind of record the activity is on.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_overdue(self) -> bool:
        return (
            self.status == ActivityStatus.OPEN
            and self.due_at is not None
            and self.due_at < timezone.now()
        )

    @property
    def ends(self) -> Any:
        """When it ends, for calendars: its end, or its due time for what has none."""
        return self.end_at or self.due_at

    # -- access --------------------------------------------------------------------------------
    @classmethod
    def _attached_to(cls, user: Any, write: bool) -> Q:
        """On a record the user may see (or edit): the rule of core's Note, for activities."""
        q = Q(pk__in=[])
        for model in timeline_models():
            records = model.objects.filter(pk=OuterRef("object_id")).filter(
                model.access_q(user, write=write)
            )
            q |= Q(content_type=ContentType.objects.get_for_model(model)) & Q(Exists(records))
        return q

    @classmethod
    def access_q(cls, user: Any, write: bool) -> Q:
        """The owner/team/share rules of every record, widened the way a note's access is.

        Who may see the record an activity is on sees the activity, and who may edit that
        record may edit (complete, reschedule) it, given the role's ``edit`` on activities.
        Attendees of a meeting see it in their calendar.
        """
        q = super().access_q(user, write)
        if not q:  # an empty Q opens everything (an administrator or an open default)
            return q
        if user is None or not user.is_authenticated or not user.is_active:
            return q
        if getattr(user, "kind", User.Kind.STAFF) != User.Kind.STAFF:
            return q
        if write and not user.has_action(cls.object_type(), Action.EDIT):
            return q
        q |= cls._attached_to(user, write)
        if not write:
            through = cls.attendees.through
            q |= Q(pk__in=through.objects.filter(user=user).values("activity_id"))
        return q

    # -- search --------------------------------------------------------------------------------
    @classmethod
    def search_queryset(cls, qs: models.QuerySet) -> models.QuerySet:
        return qs

    def search_hit(self) -> search.SearchHit:
        when = timezone.localtime(self.due_at).strftime("%Y-%m-%d %H:%M") if self.due_at else ""
        return search.SearchHit(
            object_type="activity",
            id=self.pk,
            title=self.subject,
            subtitle=" · ".join(filter(None, [self.get_kind_display(), when])),
            url=self.get_absolute_url(),
            rank=float(getattr(self, "search_rank", 0) or 0),
        )


class CallList(OwnedRecord):
    """A list of people to call, taken from a filter over leads, contacts or accounts."""

    class ObjectType(models.TextChoices):
        LEAD = "lead", _("Leads")
        CONTACT = "contact", _("Contacts")
        ACCOUNT = "account", _("Accounts")

    name = models.CharField(_("name"), max_length=200)
    # not "object_type": every record answers object_type() with its own type
    record_type = models.CharField(
        _("list of"), max_length=20, choices=ObjectType, default=ObjectType.LEAD
    )
    query = models.TextField(
        _("filter"),
        blank=True,
        help_text=_("The filter of the list page, as in its address after the “?”."),
    )
    saved_view = models.ForeignKey(
        SavedView,
        verbose_name=_("saved view"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    script = models.TextField(
        _("call script"),
        blank=True,
        help_text=_("What to say. {name}, {company}, {title} and {me} are filled in per call."),
    )
    built_at = models.DateTimeField(_("built"), null=True, blank=True, editable=False)
    search_tokens = models.TextField(blank=True, editable=False, default="")

    protected_fields = (*Record.protected_fields, "built_at", "search_tokens")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("call list")
        verbose_name_plural = _("call lists")
        indexes = [
            models.Index(fields=["owner", "deleted_at"]),
            models.Index(fields=["team", "deleted_at"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("activities:calllist-detail", args=[self.pk])

    def derive_fields(self) -> None:
        self.name = (self.name or "").strip()
        self.query = (self.query or "").strip().lstrip("?")
        self.search_tokens = search.join_tokens(search.tokens_for_name(self.name))

    @classmethod
    def search_queryset(cls, qs: models.QuerySet) -> models.QuerySet:
        return qs

    def search_hit(self) -> search.SearchHit:
        return search.SearchHit(
            object_type="calllist",
            id=self.pk,
            title=self.name,
            subtitle=str(self.get_record_type_display()),
            url=self.get_absolute_url(),
            rank=float(getattr(self, "search_rank", 0) or 0),
        )


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("To call")
    DONE = "done", _("Called")
    SKIPPED = "skipped", _("Skipped")


class CallListEntry(models.Model):
    """One record to call on a list (a snapshot taken when the list was built).

    Access follows the list: who may see the list sees its entries. The record itself is shown
    only to who may see it.
    """

    call_list = models.ForeignKey(CallList, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField(_("position"))
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    label = models.CharField(_("record"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=EntryStatus, default=EntryStatus.PENDING
    )
    outcome = models.ForeignKey(
        CallOutcome,
        verbose_name=_("outcome"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    next_call_at = models.DateTimeField(_("next call"), null=True, blank=True)
    called_at = models.DateTimeField(_("called"), null=True, blank=True)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caller"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["call_list", "position"]
        verbose_name = _("call list entry")
        verbose_name_plural = _("call list entries")
        constraints = [
            models.UniqueConstraint(fields=["call_list", "position"], name="call_entry_position")
        ]
        indexes = [models.Index(fields=["call_list", "status", "position"])]

    def __str__(self) -> str:
        return self.label or f"#{self.position}"

    @property
    def object_type(self) -> str:
        return ContentType.objects.get_for_id(self.content_type_id).model


def _feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret address of a user's iCalendar feed; regenerating it revokes the old one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=_feed_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user} calendar feed"
