"""Write use-cases shared by every record type.

Each function takes the acting user, checks permission, validates, writes, appends to the
change log and emits a domain event, all in one transaction. Domain apps build their own
services (``create_account`` …) on these.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from . import changelog, events
from .errors import StaleVersion
from .models import (
    Action,
    ChangeAction,
    ChangeLogEntry,
    DeletedRecord,
    Note,
    OwnedRecord,
    Record,
    RecordShare,
    SavedView,
    ShareAccess,
    Tag,
    Team,
    User,
)

R = TypeVar("R", bound=Record)


# --------------------------------------------------------------------------------------------
# access checks
# --------------------------------------------------------------------------------------------


def require_action(actor: Any, object_type: str, action: str) -> None:
    if not actor.has_action(object_type, action):
        raise PermissionDenied(
            _("You are not allowed to %(action)s %(type)s records.")
            % {"action": _action_label(action), "type": _type_label(object_type)}
        )


def _action_label(action: str) -> str:
    return str(Action(action).label).lower() if action in Action.values else action


def _type_label(object_type: str) -> str:
    """The translated name of an object type ("account", "客户")."""
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.model_name == object_type:
            return str(model._meta.verbose_name)
    return object_type


def get_visible(actor: Any, model: type[R], pk: Any) -> R:
    """The record if the actor may see it; otherwise 404, so its existence does not leak."""
    try:
        return model.objects.visible_to(actor).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404(_("No such record.")) from exc


def require_editable(actor: Any, obj: Record) -> None:
    """404 when the actor cannot see the record, 403 when they see it but may not edit it."""
    model = type(obj)
    if not model.all_objects.filter(pk=obj.pk).visible_to(actor).exists():
        raise Http404(_("No such record."))
    if not model.all_objects.filter(pk=obj.pk).editable_by(actor).exists():
        raise PermissionDenied(_("You may see this record but not change it."))


# --------------------------------------------------------------------------------------------
# create / update
# --------------------------------------------------------------------------------------------


def _clean_data(model: type[models.Model], data: Mapping[str, Any]) -> dict[str, Any]:
    protected = set(getattr(model, "protected_fields", ()))
    unknown = [key for key in data if key in protected]
    if unknown:
        raise ValidationError({key: _("This field cannot be set.") for key in unknown})
    return dict(data)


def _full_clean(obj: models.Model, exclude: Iterable[str] = ()) -> None:
    if hasattr(obj, "derive_fields"):
        obj.derive_fields()
    obj.full_clean(exclude=list(exclude), validate_unique=True)


def assign_owner(obj: OwnedRecord, owner: User | None) -> None:
    obj.owner = owner
    obj.team_id = owner.team_id if owner is not None else None


def build_record(actor: Any, model: type[R], data: Mapping[str, Any], *, owner: Any = "actor") -> R:
    """The unsaved record ``create_record`` would write, built and validated the same way.

    Raises ``ValidationError`` for bad values and ``PermissionDenied`` for an owner the actor may
    not assign; writes nothing, so an import can check every row of a file before applying it.
    """
    object_type = model.object_type()
    obj = model(**_clean_data(model, data))
    if isinstance(obj, OwnedRecord):
        if owner == "actor":
            owner = actor if getattr(actor, "pk", None) else None
        if owner is not None and owner != actor and not actor.has_action(object_type, Action.ADMIN):
            _require_can_assign(actor, owner)
        assign_owner(obj, owner)
    obj.created_by = obj.updated_by = actor if getattr(actor, "pk", None) else None
    now = timezone.now()
    obj.created_at = obj.updated_at = now
    _full_clean(obj)
    return obj


@transaction.atomic
def create_record(
    actor: Any,
    model: type[R],
    data: Mapping[str, Any],
    *,
    m2m: Mapping[str, Iterable[Any]] | None = None,
    owner: Any = "actor",
    check_permission: bool = True,
    event: bool = True,
) -> R:
    """Create one record owned by ``owner`` (the actor unless said otherwise)."""
    object_type = model.object_type()
    if check_permission:
        require_action(actor, object_type, Action.CREATE)
    obj = build_record(actor, model, data, owner=owner)
    obj.save(force_insert=True)
    for name, values in (m2m or {}).items():
        getattr(obj, name).set(values)
    changes = changelog.created_changes(obj)
    for name, values in (m2m or {}).items():
        changes[name] = [None, sorted(v.pk if hasattr(v, "pk") else v for v in values)]
    changelog.log_change(actor, obj, ChangeAction.CREATE, changes)
    if event:
        events.emit(f"{object_type}.created", obj, actor)
    return obj


@transaction.atomic
def create_records_bulk(
    actor: Any,
    model: type[R],
    items: Sequence[tuple[R, Mapping[str, Iterable[Any]]]],
    *,
    event: bool = True,
) -> list[R]:
    """Write many records at once, each built and validated by :func:`build_record` (imports).

    What :func:`create_record` does for one, done in bulk so a large import holds its
    transaction for moments, not minutes: the create permission, one INSERT per 500 records,
    their many-to-many rows, one change-log entry per record and one event per record.
    ``items`` are ``(unsaved record, {m2m field: values})`` pairs.
    """
    object_type = model.object_type()
    require_action(actor, object_type, Action.CREATE)
    objs = [obj for obj, _m2m in items]
    if any(obj.pk is not None for obj in objs):
        raise ValueError("create_records_bulk writes new records only")
    model.objects.bulk_create(objs, batch_size=500)
    changes = {obj.pk: changelog.created_changes(obj) for obj in objs}
    links: dict[str, list[Any]] = {}
    for obj, m2m in items:
        for name, values in m2m.items():
            values = list(values)
            if not values:
                continue
            field = model._meta.get_field(name)
            through = field.remote_field.through
            source = field.m2m_field_name()
            target = field.m2m_reverse_field_name()
            links.setdefault(name, []).extend(
                through(**{f"{source}_id": obj.pk, f"{target}_id": getattr(v, "pk", v)})
                for v in values
            )
            changes[obj.pk][name] = [None, sorted(getattr(v, "pk", v) for v in values)]
    for name, rows in links.items():
        model._meta.get_field(name).remote_field.through.objects.bulk_create(rows, batch_size=1000)
    changelog.log_bulk(actor, objs, ChangeAction.CREATE, changes)
    if event:
        for obj in objs:
            events.emit(f"{object_type}.created", obj, actor)
    return objs


def _require_can_assign(actor: Any, owner: Any) -> None:
    """A user may give records to themself, to members of teams they manage, or (admin) anyone."""
    if owner is None or owner == actor:
        return
    if owner.team_id and owner.team_id in actor.managed_team_ids():
        return
    raise PermissionDenied(_("You may only assign records to yourself or to your teams."))


@transaction.atomic
def update_record(
    actor: Any,
    obj: R,
    data: Mapping[str, Any],
    *,
    expected_version: int | None,
    m2m: Mapping[str, Iterable[Any]] | None = None,
    check_permission: bool = True,
    action: str = ChangeAction.UPDATE,
    event: str | None = "changed",
) -> R:
    """Apply ``data`` if the record is still at ``expected_version``; else raise StaleVersion.

    The write is a compare-and-set (``UPDATE … WHERE id = %s AND version = %s``) after a
    row lock, so two concurrent writers based on one version cannot both succeed, on
    PostgreSQL (row lock, re-checked WHERE) as on SQLite (one writer at a time).
    """
    model = type(obj)
    if check_permission:
        require_editable(actor, obj)
    current = model.all_objects.select_for_update().get(pk=obj.pk)
    if current.deleted_at is not None:
        raise Http404(_("No such record."))
    if expected_version is None:
        expected_version = obj.version
    if current.version != expected_version:
        raise StaleVersion(current, expected_version)
    data = _clean_data(model, data)
    # Taken before the owner changes, so an assignment is a change (and is logged as one).
    before = changelog.snapshot(current)
    if "owner" in data and isinstance(current, OwnedRecord):
        new_owner = data.pop("owner")
        if new_owner != current.owner and not actor.has_action(model.object_type(), Action.ADMIN):
            _require_can_assign(actor, new_owner)
        assign_owner(current, new_owner)
    before_m2m = {
        name: sorted(getattr(current, name).values_list("pk", flat=True)) for name in (m2m or {})
    }
    for name, value in data.items():
        setattr(current, name, value)
    _full_clean(current)
    after = changelog.snapshot(current)
    changes = changelog.diff(before, after)
    for name, values in (m2m or {}).items():
        new_ids = sorted(v.pk if hasattr(v, "pk") else v for v in values)
        if new_ids != before_m2m[name]:
            changes[name] = [before_m2m[name], new_ids]
    if not changes:
        return current
    now = timezone.now()
    fields = {
        f.attname: getattr(current, f.attname)
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in {"version", "created_at", "created_by"}
    }
    fields.update(updated_at=now, updated_by_id=getattr(actor, "pk", None))
    written = model.all_objects.filter(pk=current.pk, version=expected_version).update(
        version=F("version") + 1, **fields
    )
    if written != 1:
        raise StaleVersion(model.all_objects.get(pk=current.pk), expected_version)
    for name, values in (m2m or {}).items():
        getattr(current, name).set(values)
    current.version = expected_version + 1
    current.updated_at = now
    changelog.log_change(actor, current, action, changes)
    if event:
        events.emit(f"{model.object_type()}.{event}", current, actor, changes=changes)
    return current


@transaction.atomic
def bulk_assign_owner(actor: Any, model: type[R], ids: Iterable[int], owner: Any) -> int:
    """Give many records to ``owner`` with one UPDATE and one change-log INSERT."""
    require_action(actor, model.object_type(), Action.EDIT)
    if not actor.has_action(model.object_type(), Action.ADMIN):
        _require_can_assign(actor, owner)
    rows = list(model.objects.editable_by(actor).filter(pk__in=list(ids)).select_for_update())
    changes = {
        obj.pk: {"owner": [obj.owner_id, owner.pk], "team": [obj.team_id, owner.team_id]}
        for obj in rows
        if obj.owner_id != owner.pk
    }
    model.all_objects.filter(pk__in=list(changes)).update(
        owner=owner,
        team_id=owner.team_id,
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=actor,
    )
    changed = [obj for obj in rows if obj.pk in changes]
    changelog.log_bulk(actor, changed, ChangeAction.UPDATE, changes)
    for obj in changed:
        events.emit(f"{model.object_type()}.changed", obj, actor, changes=changes[obj.pk])
    return len(changed)


# --------------------------------------------------------------------------------------------
# recycle bin
# --------------------------------------------------------------------------------------------


def _children(obj: Record) -> list[models.QuerySet]:
    """Live records that go to the recycle bin with ``obj``: declared relations and notes."""
    sets: list[models.QuerySet] = []
    for name in obj.soft_delete_children:
        related = getattr(obj, name)
        sets.append(related.model.objects.filter(pk__in=related.values("pk")))
    if getattr(obj, "has_timeline", False):
        sets.append(
            Note.objects.filter(
                content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
            )
        )
    return sets


def _soft_delete_tree(actor: Any, obj: Record, batch: uuid.UUID, now: Any) -> int:
    count = 0
    for qs in _children(obj):
        for child in qs:
            count += 1 + _soft_delete_tree(actor, child, batch, now)
    type(obj).all_objects.filter(pk=obj.pk).update(
        deleted_at=now, deleted_by=actor, deletion_batch=batch, version=F("version") + 1
    )
    return count


@transaction.atomic
def delete_record(
    actor: Any,
    obj: Record,
    *,
    expected_version: int | None,
    merged_into: Record | None = None,
    check_permission: bool = True,
) -> DeletedRecord:
    """Move a record and what hangs on it to the recycle bin; restorable for the retention."""
    model = type(obj)
    if check_permission:
        require_editable(actor, obj)
        require_action(actor, model.object_type(), Action.DELETE)
    current = model.all_objects.select_for_update().get(pk=obj.pk)
    if current.deleted_at is not None:
        raise Http404(_("No such record."))
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current, expected_version)
    batch = uuid.uuid4()
    now = timezone.now()
    children = _soft_delete_tree(actor, current, batch, now)
    entry = DeletedRecord.objects.create(
        object_type=model.object_type(),
        object_id=current.pk,
        object_repr=str(current)[:300],
        batch=batch,
        deleted_at=now,
        deleted_by=actor if getattr(actor, "pk", None) else None,
        owner_id=getattr(current, "owner_id", None),
        team_id=getattr(current, "team_id", None),
        children=children,
        merged_into=merged_into.pk if merged_into is not None else None,
    )
    changes = {"children": children}
    if merged_into is not None:
        changes["merged_into"] = merged_into.pk
    changelog.log_change(actor, current, ChangeAction.DELETE, changes)
    events.emit(f"{model.object_type()}.deleted", current, actor)
    return entry


def _batch_rows(batch: uuid.UUID) -> list[tuple[type[Record], list[Record]]]:
    from .models import record_models

    found = []
    for model in record_models():
        rows = list(model.all_objects.filter(deletion_batch=batch))
        if rows:
            found.append((model, rows))
    return found


@transaction.atomic
def restore_record(actor: Any, entry: DeletedRecord) -> Record:
    """Bring a deleted record back with everything deleted along with it."""
    if not DeletedRecord.visible_to(actor).filter(pk=entry.pk).exists():
        raise Http404(_("No such record."))
    entry = DeletedRecord.objects.select_for_update().get(pk=entry.pk)
    rows = _batch_rows(entry.batch)
    main = None
    for model, objs in rows:
        for obj in objs:
            if model.object_type() == entry.object_type and obj.pk == entry.object_id:
                main = obj
            parent_name = model.access_parent
            if parent_name:
                parent = getattr(obj, parent_name)
                if (
                    parent is not None
                    and parent.deleted_at is not None
                    and (parent.deletion_batch != entry.batch)
                ):
                    raise ValidationError(
                        _("Restore %(parent)s first: this record belongs to it.")
                        % {"parent": parent}
                    )
    if main is None:
        raise Http404(_("No such record."))
    if not actor.has_action(entry.object_type, Action.DELETE):
        raise PermissionDenied(_("You are not allowed to restore this record."))
    for model, objs in rows:
        model.all_objects.filter(pk__in=[o.pk for o in objs]).update(
            deleted_at=None, deleted_by=None, deletion_batch=None, version=F("version") + 1
        )
    undo_merge = getattr(type(main), "undo_merge", None)
    if entry.merged_into and undo_merge:
        undo_merge(actor, main, entry)
    entry.delete()
    main.refresh_from_db()
    changelog.log_change(actor, main, ChangeAction.RESTORE, {})
    events.emit(f"{entry.object_type}.restored", main, actor)
    return main


def purge_expired(now: Any = None, days: int | None = None) -> int:
    """Delete for good what has been in the recycle bin longer than the retention period."""
    now = now or timezone.now()
    days = settings.GUANXI_RECYCLE_BIN_DAYS if days is None else days
    limit = now - timedelta(days=days)
    purged = 0
    for entry in DeletedRecord.objects.filter(deleted_at__lt=limit).iterator():
        main_model = _model_of(entry)
        with transaction.atomic():
            for model, objs in _batch_rows(entry.batch):
                others = [
                    o.pk for o in objs if not (model is main_model and o.pk == entry.object_id)
                ]
                model.all_objects.filter(pk__in=others).delete()
            main = main_model.all_objects.filter(pk=entry.object_id).first() if main_model else None
            if main is not None:
                changelog.log_change(None, main, ChangeAction.PURGE, {})
                main.delete()
            entry.delete()
            purged += 1
    return purged


def _model_of(entry: DeletedRecord) -> type[Record] | None:
    from .models import record_models

    for model in record_models():
        if model.object_type() == entry.object_type:
            return model
    return None


# --------------------------------------------------------------------------------------------
# shares
# --------------------------------------------------------------------------------------------


@transaction.atomic
def share_record(
    actor: Any, obj: Record, *, user: Any = None, team: Team | None = None, access: str
) -> RecordShare:
    """Share one record with a user or a team (read, or read and edit)."""
    require_editable(actor, obj)
    if (user is None) == (team is None):
        raise ValidationError({"user": _("Share with either one user or one team.")})
    if access not in ShareAccess.values:
        raise ValidationError({"access": _("Choose read or edit.")})
    ct = ContentType.objects.get_for_model(type(obj))
    share, _created = RecordShare.objects.update_or_create(
        content_type=ct,
        object_id=obj.pk,
        user=user,
        team=team,
        defaults={"access": access, "created_by": actor},
    )
    changelog.log_change(
        actor,
        obj,
        ChangeAction.SHARE,
        {"with": [None, str(user or team)], "access": [None, access]},
    )
    return share


@transaction.atomic
def unshare_record(actor: Any, share: RecordShare) -> None:
    obj = share.content_type.model_class().all_objects.get(pk=share.object_id)
    require_editable(actor, obj)
    changelog.log_change(
        actor, obj, ChangeAction.UNSHARE, {"with": [str(share.user or share.team), None]}
    )
    share.delete()


# --------------------------------------------------------------------------------------------
# timeline
# --------------------------------------------------------------------------------------------


@transaction.atomic
def add_note(actor: Any, target: Record, data: Mapping[str, Any]) -> Note:
    """Log a note or an interaction on a record the actor may see."""
    if not getattr(target, "has_timeline", False):
        raise ValidationError({"target": _("This kind of record has no timeline.")})
    get_visible(actor, type(target), target.pk)
    require_action(actor, "note", Action.CREATE)
    payload = dict(data)
    payload["content_type"] = ContentType.objects.get_for_model(type(target))
    payload["object_id"] = target.pk
    note = Note(**{k: v for k, v in payload.items()})
    note.created_by = note.updated_by = actor
    note.full_clean()
    note.save(force_insert=True)
    changelog.log_change(
        actor, note, ChangeAction.CREATE, changelog.created_changes(note), parent=target
    )
    events.emit("note.created", note, actor, target_type=target.object_type(), target_id=target.pk)
    touch = getattr(target, "touch_activity", None)
    if touch:
        touch(note.occurred_at)
    return note


def history_for(obj: Record) -> models.QuerySet[ChangeLogEntry]:
    """The change log of a record, of records merged into it, and of its children."""
    ids = [obj.pk, *getattr(obj, "merged_ids", lambda: [])()]
    object_type = obj.object_type()
    return ChangeLogEntry.objects.filter(
        models.Q(object_type=object_type, object_id__in=ids)
        | models.Q(parent_type=object_type, parent_id__in=ids)
    ).select_related("actor")


# --------------------------------------------------------------------------------------------
# tags and saved views
# --------------------------------------------------------------------------------------------


@transaction.atomic
def get_or_create_tags(actor: Any, names: Iterable[str]) -> list[Tag]:
    """The tags called ``names`` (case-insensitive), creating those that do not exist yet.

    Any active user who tags a record may add a label; tags carry no access of their own.
    """
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied(_("Log in to add tags."))
    wanted: dict[str, str] = {}
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > Tag._meta.get_field("name").max_length:
            raise ValidationError({"tags": _("A tag has at most 50 characters.")})
        wanted.setdefault(name.lower(), name)
    tags = []
    for key, name in wanted.items():
        tag = Tag.objects.filter(name__iexact=key).first() or Tag.objects.create(name=name)
        tags.append(tag)
    return tags


@transaction.atomic
def save_view(
    actor: Any,
    object_type: str,
    name: str,
    *,
    query: str,
    columns: Iterable[str] = (),
    shared: bool = False,
) -> SavedView:
    """Save (or overwrite, by name) the actor's filtered list view of one object type.

    Only administrators and team managers may share a view with everyone; a shared view is
    a query string, so each user still sees only the records their access gives them.
    """
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if len(name) > SavedView._meta.get_field("name").max_length:
        raise ValidationError({"name": _("A view name has at most 100 characters.")})
    if shared and not (actor.is_admin_for(object_type) or actor.managed_team_ids()):
        raise PermissionDenied(_("Only administrators and team managers share views."))
    view, _created = SavedView.objects.update_or_create(
        user=actor,
        object_type=object_type,
        name=name,
        defaults={"query": query, "columns": list(columns), "is_shared": shared},
    )
    return view


def delete_saved_view(actor: Any, view: SavedView) -> None:
    """Delete one of the actor's own saved views."""
    if view.user_id != getattr(actor, "pk", None):
        raise Http404(_("No such saved view."))
    view.delete()
