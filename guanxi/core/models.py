"""People, teams, roles and the record mechanisms every object type shares.

A domain model takes part in record access, the change log, the recycle bin and the version
check by inheriting from :class:`OwnedRecord` (or :class:`Record` for records without an owner
of their own, whose access follows a parent).
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import OuterRef, Q
from django.db.models.expressions import OrderBy
from django.db.models.lookups import IsNull
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from collections.abc import Iterable

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz]


class Action(models.TextChoices):
    """What a role can grant on an object type. Reading is governed by record access alone."""

    CREATE = "create", _("Create")
    EDIT = "edit", _("Edit")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    ADMIN = "admin", _("Administer")


class Team(models.Model):
    """A team in the hierarchy; its manager sees what the team and the teams below it own."""

    name = models.CharField(_("name"), max_length=150)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    # Materialised path "/1/4/9/": the subtree of a team is one indexed prefix match.
    path = models.CharField(max_length=500, editable=False, db_index=True, default="")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.pk}/"

    def subtree(self) -> models.QuerySet[Team]:
        return Team.objects.filter(path__startswith=self.path)


class Role(models.Model):
    """A named set of actions per object type; ``"*"`` stands for every object type."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    permissions = models.JSONField(_("permissions"), default=dict, blank=True)
    is_builtin = models.BooleanField(_("built in"), default=False, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return str(_(self.name))

    def grants(self, object_type: str, action: str) -> bool:
        return any(action in self.permissions.get(key, ()) for key in (object_type, "*"))


class GuanxiUserManager(UserManager):
    def get_by_natural_key(self, username: str) -> User:
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person who logs in: staff, or (later) a customer's portal user or a partner's user."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Staff")
        PORTAL = "portal", _("Portal user")
        PARTNER = "partner", _("Partner user")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.STAFF)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), blank=True, related_name="users")
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Asia/Shanghai"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = GuanxiUserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    # -- record access helpers, cached per instance (that is, per request) --------------------
    def role_list(self) -> list[Role]:
        if not hasattr(self, "_role_cache"):
            self._role_cache = list(self.roles.all()) if self.pk else []
        return self._role_cache

    def has_action(self, object_type: str, action: str) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return any(
            role.grants(object_type, action) or role.grants(object_type, Action.ADMIN)
            for role in self.role_list()
        )

    def is_admin_for(self, object_type: str) -> bool:
        return self.is_active and (
            self.is_superuser
            or any(role.grants(object_type, Action.ADMIN) for role in self.role_list())
        )

    def managed_team_ids(self) -> list[int]:
        """Teams this user manages and every team below them."""
        if not hasattr(self, "_managed_cache"):
            paths = list(Team.objects.filter(manager=self).values_list("path", flat=True))
            if paths:
                q = Q()
                for path in paths:
                    q |= Q(path__startswith=path)
                self._managed_cache = list(Team.objects.filter(q).values_list("pk", flat=True))
            else:
                self._managed_cache = []
        return self._managed_cache

    def member_team_ids(self) -> list[int]:
        """Teams a record shared "with a team" reaches this user through."""
        ids = set(self.managed_team_ids())
        if self.team_id:
            ids.add(self.team_id)
        return sorted(ids)

    def forget_access_cache(self) -> None:
        for attr in ("_role_cache", "_managed_cache"):
            self.__dict__.pop(attr, None)


class AccessLevel(models.TextChoices):
    PRIVATE = "private", _("Private")
    PUBLIC_READ = "public_read", _("Public read only")
    PUBLIC_READ_WRITE = "public_read_write", _("Public read/write")


class AccessPolicy(models.Model):
    """The organisation-wide default access of one object type."""

    object_type = models.CharField(_("object type"), max_length=100, unique=True)
    default_access = models.CharField(
        _("default access"), max_length=20, choices=AccessLevel, default=AccessLevel.PRIVATE
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("access policy")
        verbose_name_plural = _("access policies")

    def __str__(self) -> str:
        return f"{self.object_type}: {self.get_default_access_display()}"

    @classmethod
    def level_for(cls, object_type: str) -> str:
        from django.core.cache import cache

        key = f"guanxi:access-policy:{object_type}"
        level = cache.get(key)
        if level is None:
            level = (
                cls.objects.filter(object_type=object_type)
                .values_list("default_access", flat=True)
                .first()
            ) or AccessLevel.PRIVATE
            cache.set(key, level, 60)
        return level


class ShareAccess(models.TextChoices):
    READ = "read", _("Read")
    EDIT = "edit", _("Read and edit")


class RecordShare(models.Model):
    """One record shared with one user or one team."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shares_received",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shares_received",
    )
    access = models.CharField(_("access"), max_length=10, choices=ShareAccess)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, team__isnull=True))
                | Q(user__isnull=True, team__isnull=False),
                name="share_user_xor_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type.model} #{self.object_id} → {self.user or self.team}"


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


# Counting N matching rows reads about N / (the filter's selectivity) rows: capped at 1,000,
# any list's count costs milliseconds at a million accounts (10,000 cost up to 700 ms, see
# docs/performance.md).
COUNT_CAP = 1_000


def count_up_to(queryset: models.QuerySet, cap: int = COUNT_CAP) -> int:
    """How many rows ``queryset`` has, counted no further than ``cap + 1``
    (``SELECT COUNT(*) FROM (… LIMIT cap + 1)``): more than ``cap`` means "cap or more"."""
    return queryset.order_by().values("pk")[: cap + 1].count()


def recently_changed_index(name: str) -> models.Index:
    """The index of a record type's live rows by last change: the home page's "Recently
    changed" walks it newest first until it has ten rows the user may see."""
    return models.Index(
        fields=["updated_at", "id"], condition=Q(deleted_at__isnull=True), name=name
    )


class DescNullsLastIndex(models.Index):
    """An index in ``DESC NULLS LAST`` order. SQLite cannot write ``NULLS LAST`` in an index,
    and needs not: its ``DESC`` already puts NULLs last. There the clause is left out."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using, **kwargs)
        plain = self.clone()
        plain.expressions = tuple(
            OrderBy(e.expression, descending=e.descending) if isinstance(e, OrderBy) else e
            for e in self.expressions
        )
        return models.Index.create_sql(plain, model, schema_editor, using, **kwargs)


def sort_indexes(
    prefix: str, fields: Iterable[str], nullable: Iterable[str] = ()
) -> list[models.Index]:
    """The indexes that let a list page sorted by one of ``fields`` read its first page.

    A list sorts by the column and then by id (``ORDER BY industry, id``), in one direction.
    Without an index leading with the column, the first page of a million accounts sorted by
    industry is a sort of every live row (a second); for contacts, whose visibility is checked
    per row through their account, every row is checked first (four seconds for a rep). Each
    index is on (column, id) over live rows, read forwards or backwards. A descending sort of
    a ``nullable`` column puts NULLs last (``DESC NULLS LAST``), an order a backward scan does
    not give: those columns get a second index in that order.
    """
    live = Q(deleted_at__isnull=True)
    indexes = [
        models.Index(fields=[field, "id"], condition=live, name=f"{prefix}_sort_{field}"[:30])
        for field in fields
    ]
    indexes += [
        DescNullsLastIndex(
            models.F(field).desc(nulls_last=True),
            models.F("id").desc(),
            condition=live,
            name=f"{prefix}_sortd_{field}"[:30],
        )
        for field in nullable
    ]
    return indexes


class InSubquery(models.Func):
    """``column IN (subquery)``, written ``column = ANY(ARRAY(subquery))`` on PostgreSQL.

    OR-ed with the other access rules, an ``IN`` (or a correlated ``EXISTS``) can only be
    checked row by row, so PostgreSQL reads every row of the table to count what a sales rep
    sees. An array computed once is an index condition: the planner combines it with the
    owner and team indexes (a BitmapOr) and reads only the rows the user may see.
    """

    output_field = models.BooleanField()

    def __init__(self, column: str, queryset: models.QuerySet, *, hashed: bool = False) -> None:
        super().__init__(models.F(column), models.Subquery(queryset))
        self.hashed = hashed

    def _compiled(self, compiler: Any) -> tuple[str, str, list[Any]]:
        column, subquery = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        subquery_sql, subquery_params = compiler.compile(subquery)
        return column_sql, subquery_sql, [*column_params, *subquery_params]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        column_sql, subquery_sql, params = self._compiled(compiler)
        return f"{column_sql} IN {subquery_sql}", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        column_sql, subquery_sql, params = self._compiled(compiler)
        array = f"{column_sql} = ANY(ARRAY{subquery_sql})"
        if not self.hashed:
            return array, params
        # The array is an index condition, but a row read in another index's order (a page
        # sorted by date) is compared with every element of it: 13,000 rows × 700 shares for a
        # rep's first page. "IN (subquery)" is checked through a hash instead, and put first it
        # spares the array for every row that is not in it. A bitmap plan still uses the array.
        return f"({column_sql} IN {subquery_sql} AND {array})", [*params, *params]


def row_exists(correlated: models.QuerySet) -> Q:
    """EXISTS (``correlated``), in a form PostgreSQL evaluates only for the rows it reads.

    ``correlated`` finds at most one row by primary key from an ``OuterRef``. Written as
    EXISTS, PostgreSQL may instead run the subquery once over its whole table to hash it (its
    plan for a correlated EXISTS under OR): for "the contact's account is visible" that is a
    scan of a million accounts even when a search reads twenty contacts. A scalar subquery
    on the primary key ("(SELECT id … WHERE id = outer.fk …) IS NOT NULL") is never hashed:
    one index lookup per row read. The rows are the same.
    """
    return Q(IsNull(models.Subquery(correlated.order_by().values("pk")[:1]), False))


class RecordQuerySet(models.QuerySet):
    """Every read a user makes goes through ``visible_to`` or ``editable_by``."""

    def alive(self) -> RecordQuerySet:
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user: Any) -> RecordQuerySet:
        return self.filter(self.model.access_q(user, write=False))

    def editable_by(self, user: Any) -> RecordQuerySet:
        return self.filter(self.model.access_q(user, write=True))


class LiveManager(models.Manager.from_queryset(RecordQuerySet)):  # type: ignore[misc]
    """The default manager hides soft-deleted rows."""

    def get_queryset(self) -> RecordQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class AllRecordsManager(models.Manager.from_queryset(RecordQuerySet)):  # type: ignore[misc]
    pass


class Record(models.Model):
    """Versioned, soft-deletable, change-logged record.

    Subclasses set ``access_parent`` (the name of a foreign key) when their access follows a
    parent record, and ``soft_delete_children`` (related names) for what a delete takes along.
    """

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    deletion_batch = models.UUIDField(null=True, blank=True, editable=False)

    objects = LiveManager()
    all_objects = AllRecordsManager()

    access_parent: str | None = None
    soft_delete_children: tuple[str, ...] = ()
    # Fields never written from a form or an API body.
    protected_fields: tuple[str, ...] = (
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "deleted_at",
        "deleted_by",
        "deletion_batch",
    )

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @classmethod
    def object_type(cls) -> str:
        return cls._meta.model_name

    @classmethod
    def policy_q(cls, user: Any, write: bool) -> Q | None:
        """Q giving access through the org-wide default, or None when it opens nothing."""
        level = AccessPolicy.level_for(cls.object_type())
        if level == AccessLevel.PUBLIC_READ_WRITE or (
            level == AccessLevel.PUBLIC_READ and not write
        ):
            return Q()
        return None

    @classmethod
    def share_q(cls, user: Any, write: bool) -> Q:
        shares = RecordShare.objects.filter(
            content_type=ContentType.objects.get_for_model(cls),
        ).filter(Q(user=user) | Q(team_id__in=user.member_team_ids()))
        if write:
            shares = shares.filter(access=ShareAccess.EDIT)
        return Q(InSubquery("pk", shares.values("object_id"), hashed=True))

    @classmethod
    def own_q(cls, user: Any) -> Q:
        """Access a user has by ownership; records without an owner have none of their own."""
        return Q(pk__in=[])

    @classmethod
    def external_q(cls, user: Any, write: bool) -> Q:
        """What a portal or partner user may reach; object types open it case by case."""
        return Q(pk__in=[])

    @classmethod
    def access_q(cls, user: Any, write: bool) -> Q:
        """The one definition of who may see (``write=False``) or edit a record of this type."""
        nothing = Q(pk__in=[])
        if user is None or not user.is_authenticated or not user.is_active:
            return nothing
        object_type = cls.object_type()
        if write and not user.has_action(object_type, Action.EDIT):
            return nothing
        if user.is_admin_for(object_type):
            return Q()
        if getattr(user, "kind", User.Kind.STAFF) != User.Kind.STAFF:
            return cls.external_q(user, write)
        policy = cls.policy_q(user, write)
        if policy is not None:
            return policy
        q = cls.own_q(user) | cls.share_q(user, write)
        if cls.access_parent:
            parent_model = cls._meta.get_field(cls.access_parent).related_model
            # The parent looked up by its primary key for each row read, not "parent IN (every
            # parent the user may see)": OR-ed with the other rules, that list is built from a
            # scan of the whole parent table (seconds at a million accounts). See row_exists.
            parents = parent_model.objects.filter(pk=OuterRef(cls.access_parent)).filter(
                parent_model.access_q(user, write)
            )
            q |= row_exists(parents)
        return q

    def can_view(self, user: Any) -> bool:
        return type(self).all_objects.filter(pk=self.pk).visible_to(user).exists()

    def can_edit(self, user: Any) -> bool:
        return type(self).all_objects.filter(pk=self.pk).editable_by(user).exists()

    @property
    def etag(self) -> str:
        return f'"{self.object_type()}-{self.pk}-v{self.version}"'


class OwnedRecord(Record):
    """A record with an owner and the owner's team, the basis of team-hierarchy access."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta(Record.Meta):
        abstract = True

    @classmethod
    def own_q(cls, user: Any) -> Q:
        q = Q(owner=user)
        managed = user.managed_team_ids()
        if managed:
            q |= Q(team_id__in=managed)
        return q


# --------------------------------------------------------------------------------------------
# Change log and recycle bin
# --------------------------------------------------------------------------------------------


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    RESTORE = "restore", _("Restored")
    MERGE = "merge", _("Merged")
    PURGE = "purge", _("Purged")
    SHARE = "share", _("Shared")
    UNSHARE = "unshare", _("Unshared")
    TRANSITION = "transition", _("Class changed")


class ChangeLogEntryQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("the change log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("the change log is append-only")


class ChangeLogEntry(models.Model):
    """One append-only entry: who did what to which object, field by field, in which request."""

    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.BigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=300)
    action = models.CharField(_("action"), max_length=20, choices=ChangeAction)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_repr = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # For a child's entry (a contact's change) also shown on the parent (its account).
    parent_type = models.CharField(max_length=100, blank=True)
    parent_id = models.BigIntegerField(null=True, blank=True)

    objects = ChangeLogEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"]),
            models.Index(fields=["parent_type", "parent_id", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_type} #{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("the change log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("the change log is append-only")


class DeletedRecord(models.Model):
    """The recycle bin: one row per record a user deleted (its children share the batch)."""

    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(_("record"), max_length=300)
    batch = models.UUIDField(default=uuid.uuid4, unique=True)
    deleted_at = models.DateTimeField(_("deleted"), default=timezone.now, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="+")
    children = models.PositiveIntegerField(_("related records"), default=0)
    merged_into = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-deleted_at", "-id"]
        verbose_name = _("deleted record")
        verbose_name_plural = _("recycle bin")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return self.object_repr

    @classmethod
    def visible_to(cls, user: Any) -> models.QuerySet[DeletedRecord]:
        if not user.is_authenticated:
            return cls.objects.none()
        if user.is_superuser or any(role.grants("*", Action.ADMIN) for role in user.role_list()):
            return cls.objects.all()
        q = Q(deleted_by=user) | Q(owner=user)
        managed = user.managed_team_ids()
        if managed:
            q |= Q(team_id__in=managed)
        return cls.objects.filter(q)

    def expires_at(self) -> Any:
        from datetime import timedelta

        return self.deleted_at + timedelta(days=settings.GUANXI_RECYCLE_BIN_DAYS)


class SavedView(models.Model):
    """A user's saved list: its filter query string, sort and columns."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    object_type = models.CharField(max_length=100)
    name = models.CharField(_("name"), max_length=100)
    query = models.TextField(_("filter"), blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    is_shared = models.BooleanField(_("shared with everyone"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "object_type", "name"], name="saved_view_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


def record_models() -> Iterable[type[Record]]:
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, Record) and not m._meta.abstract]


# --------------------------------------------------------------------------------------------
# Timeline
# --------------------------------------------------------------------------------------------


def timeline_models() -> list[type[Record]]:
    """Object types that carry a timeline (they set ``has_timeline = True``)."""
    return [m for m in record_models() if getattr(m, "has_timeline", False)]


class Note(Record):
    """A note or a logged interaction on any record with a timeline.

    Access follows the record it is attached to: who may see the account sees its notes.
    """

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Call")
        VISIT = "visit", _("Visit")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("Email")
        MESSAGE = "message", _("Message")

    class Direction(models.TextChoices):
        NONE = "", _("—")
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.NOTE)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction, default="", blank=True
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [
            models.Index(fields=["content_type", "object_id", "-occurred_at"]),
            # the home page's "My recent timeline entries": an author's newest first
            models.Index(fields=["created_by", "-occurred_at"], name="note_author_recent"),
        ]

    protected_fields = (*Record.protected_fields, "content_type", "object_id")

    def __str__(self) -> str:
        return self.subject or (self.body[:60] if self.body else self.get_kind_display())

    @property
    def target(self) -> Record | None:
        model = self.content_type.model_class()
        return model.all_objects.filter(pk=self.object_id).first() if model else None

    def log_parent(self) -> Record | None:
        return self.target

    @staticmethod
    def records_of(notes: Iterable[Note], exclude: Any = None) -> dict[tuple[int, int], Any]:
        """The records ``notes`` are on (but ``exclude``), keyed by (content type id, id):
        one query per object type, not one per note. Deleted records are found too."""
        skip = (ContentType.objects.get_for_model(exclude).pk, exclude.pk) if exclude else None
        wanted: dict[int, set[int]] = {}
        for note in notes:
            if (note.content_type_id, note.object_id) != skip:
                wanted.setdefault(note.content_type_id, set()).add(note.object_id)
        found: dict[tuple[int, int], Any] = {}
        for type_id, ids in wanted.items():
            model = ContentType.objects.get_for_id(type_id).model_class()
            if model is None:
                continue
            for record in model._base_manager.filter(pk__in=ids):
                found[(type_id, record.pk)] = record
        return found

    @classmethod
    def _attached_to(cls, user: Any, write: bool) -> Q:
        q = Q(pk__in=[])
        for model in timeline_models():
            # Looked up row by row, for the same reason as Record.access_q's parent rule.
            records = model.objects.filter(pk=OuterRef("object_id")).filter(
                model.access_q(user, write=write)
            )
            q |= Q(content_type=ContentType.objects.get_for_model(model)) & row_exists(records)
        return q

    @classmethod
    def access_q(cls, user: Any, write: bool) -> Q:
        """Seen with the record it is on; edited by its author or by who may edit that record."""
        if user is None or not user.is_authenticated or not user.is_active:
            return Q(pk__in=[])
        if write and not user.has_action("note", Action.EDIT):
            return Q(pk__in=[])
        if user.is_admin_for("note"):
            return Q()
        visible = cls._attached_to(user, write=False)
        if not write:
            return visible
        return visible & (Q(created_by=user) | cls._attached_to(user, write=True))


class Tag(models.Model):
    """A free label any record type can carry."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Merge(models.Model):
    """A merge of one record into another, kept so it can be undone and its history followed."""

    object_type = models.CharField(max_length=100)
    survivor_id = models.BigIntegerField()
    merged_id = models.BigIntegerField()
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    survivor_before = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "survivor_id"])]

    def __str__(self) -> str:
        return f"{self.object_type} #{self.merged_id} → #{self.survivor_id}"


# --------------------------------------------------------------------------------------------
# Background jobs (the mechanism that runs them is guanxi.core.jobs)
# --------------------------------------------------------------------------------------------


class JobQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> JobQuerySet:
        """A user follows the jobs they started; administrators follow every job."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or any(role.grants("*", Action.ADMIN) for role in user.role_list()):
            return self.all()
        return self.filter(created_by=user)


class Job(models.Model):
    """One long task (import, export, analytics run …) run off the web request, with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=50)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    # The request that started the job: its change-log entries carry the same request id.
    request_id = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=10, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ScheduledTask(models.Model):
    """The last run of one periodic task of ``CELERY_BEAT_SCHEDULE`` run by Guanxi's own
    scheduler (``guanxi.core.scheduler``: the embedded server, or ``manage.py run_scheduled``
    from cron). A run is claimed by moving ``last_started_at`` forward in one UPDATE, so two
    processes never run the same task for the same turn."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    name = models.CharField(_("name"), max_length=100, unique=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_status = models.CharField(_("status"), max_length=10, choices=Status, blank=True)
    last_message = models.CharField(_("message"), max_length=500, blank=True)
    run_count = models.PositiveIntegerField(_("runs"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scheduled task")
        verbose_name_plural = _("scheduled tasks")

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """An in-app notification (reminders, pool warnings, escalations …)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text
