"""Customer use-cases: each takes the acting user and runs in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import changelog, events
from guanxi.core import services as core
from guanxi.core.models import Action, ChangeAction, Merge, Note

from .models import (
    ALLOWED_TRANSITIONS,
    CONSENT_CHANNELS,
    Account,
    ClassTransition,
    ConsentRecord,
    ConsentStatus,
    Contact,
    RelationshipClass,
)


def _split_m2m(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    plain = dict(data)
    m2m = {}
    if "tags" in plain:
        m2m["tags"] = plain.pop("tags") or []
    return plain, m2m


def _check_parent_visible(actor: Any, field: str, obj: Any) -> None:
    if obj is not None and not type(obj).objects.visible_to(actor).filter(pk=obj.pk).exists():
        raise ValidationError({field: _("Select an existing record you can see.")})


# --------------------------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------------------------


@transaction.atomic
def create_account(actor: Any, data: Mapping[str, Any], owner: Any = "actor") -> Account:
    """Create an account; its first relationship class is recorded as the start of its flow."""
    plain, m2m = _split_m2m(data)
    _check_parent_visible(actor, "parent", plain.get("parent"))
    account = core.create_record(actor, Account, plain, m2m=m2m, owner=owner)
    ClassTransition.objects.create(
        account=account, from_class="", to_class=account.relationship_class, actor=actor
    )
    return account


def _check_parents_visible(actor: Any, field: str, records: Sequence[Any]) -> None:
    """``_check_parent_visible`` for many records with one query."""
    parents = {getattr(r, f"{field}_id") for r in records} - {None}
    if not parents:
        return
    model = type(records[0])._meta.get_field(field).related_model
    seen = set(model.objects.visible_to(actor).filter(pk__in=parents).values_list("pk", flat=True))
    if parents - seen:
        raise ValidationError({field: _("Select an existing record you can see.")})


@transaction.atomic
def create_accounts_bulk(
    actor: Any, items: Sequence[tuple[Account, Mapping[str, Iterable[Any]]]]
) -> list[Account]:
    """``create_account`` for many accounts (imports): same checks, written in bulk.

    ``items`` are unsaved accounts built by ``core.services.build_record`` with their
    many-to-many values (``{"tags": [...]}``); each gets its first class transition.
    """
    _check_parents_visible(actor, "parent", [account for account, _m2m in items])
    accounts = core.create_records_bulk(actor, Account, items)
    ClassTransition.objects.bulk_create(
        [
            ClassTransition(
                account=account, from_class="", to_class=account.relationship_class, actor=actor
            )
            for account in accounts
        ],
        batch_size=1000,
    )
    return accounts


@transaction.atomic
def update_account(
    actor: Any, account: Account, data: Mapping[str, Any], *, expected_version: int | None
) -> Account:
    """Edit an account; a change of relationship class must follow the flow model."""
    plain, m2m = _split_m2m(data)
    if "parent" in plain:
        _check_parent_visible(actor, "parent", plain["parent"])
        if plain["parent"] is not None and _is_descendant(plain["parent"], account):
            raise ValidationError({"parent": _("An account cannot be under its own subsidiary.")})
    new_class = plain.get("relationship_class")
    old_class = (
        Account.all_objects.filter(pk=account.pk)
        .values_list("relationship_class", flat=True)
        .first()
    )
    if new_class is not None and new_class != old_class:
        check_transition(old_class, new_class)
    updated = core.update_record(actor, account, plain, expected_version=expected_version, m2m=m2m)
    if new_class is not None and new_class != old_class:
        _record_transition(actor, updated, old_class, new_class, "")
    return updated


def _is_descendant(candidate: Account, account: Account) -> bool:
    seen = set()
    node = candidate
    while node is not None and node.pk not in seen:
        if node.pk == account.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def check_transition(old: str, new: str) -> None:
    if new not in ALLOWED_TRANSITIONS.get(old, frozenset()):
        raise ValidationError(
            {
                "relationship_class": _(
                    "A %(old)s cannot become a %(new)s directly; allowed next: %(allowed)s."
                )
                % {
                    "old": RelationshipClass(old).label,
                    "new": RelationshipClass(new).label,
                    "allowed": ", ".join(
                        str(RelationshipClass(c).label)
                        for c in sorted(ALLOWED_TRANSITIONS.get(old, ()))
                    )
                    or "—",
                }
            }
        )


def _record_transition(actor: Any, account: Account, old: str, new: str, reason: str) -> None:
    ClassTransition.objects.create(
        account=account, from_class=old, to_class=new, actor=actor, reason=reason
    )
    events.emit("account.class_changed", account, actor, from_class=old, to_class=new)


@transaction.atomic
def change_relationship_class(
    actor: Any, account: Account, new_class: str, *, expected_version: int | None, reason: str = ""
) -> Account:
    """Move an account along the customer flow model (客户流转), with its date and actor."""
    if new_class not in RelationshipClass.values:
        raise ValidationError({"relationship_class": _("Unknown relationship class.")})
    current = Account.all_objects.get(pk=account.pk)
    check_transition(current.relationship_class, new_class)
    updated = core.update_record(
        actor,
        account,
        {"relationship_class": new_class},
        expected_version=expected_version,
        action=ChangeAction.TRANSITION,
    )
    _record_transition(actor, updated, current.relationship_class, new_class, reason)
    return updated


def delete_account(actor: Any, account: Account, *, expected_version: int | None) -> Any:
    """Move an account with its contacts and timeline to the recycle bin."""
    return core.delete_record(actor, account, expected_version=expected_version)


# --------------------------------------------------------------------------------------------
# contacts and consent
# --------------------------------------------------------------------------------------------


@transaction.atomic
def create_contact(actor: Any, data: Mapping[str, Any], owner: Any = "actor") -> Contact:
    plain, m2m = _split_m2m(data)
    _check_parent_visible(actor, "account", plain.get("account"))
    return core.create_record(actor, Contact, plain, m2m=m2m, owner=owner)


@transaction.atomic
def create_contacts_bulk(
    actor: Any, items: Sequence[tuple[Contact, Mapping[str, Iterable[Any]]]]
) -> list[Contact]:
    """``create_contact`` for many contacts (imports): same checks, written in bulk."""
    _check_parents_visible(actor, "account", [contact for contact, _m2m in items])
    return core.create_records_bulk(actor, Contact, items)


@transaction.atomic
def update_contact(
    actor: Any, contact: Contact, data: Mapping[str, Any], *, expected_version: int | None
) -> Contact:
    plain, m2m = _split_m2m(data)
    if "account" in plain:
        _check_parent_visible(actor, "account", plain["account"])
    return core.update_record(actor, contact, plain, expected_version=expected_version, m2m=m2m)


def delete_contact(actor: Any, contact: Contact, *, expected_version: int | None) -> Any:
    return core.delete_record(actor, contact, expected_version=expected_version)


@transaction.atomic
def record_consent(
    actor: Any,
    contact: Contact,
    channel: str,
    status: str,
    method: str,
    note: str = "",
    at: Any = None,
) -> ConsentRecord:
    """Record that a contact gave or withdrew consent on one channel, and when and how."""
    core.require_editable(actor, contact)
    errors = {}
    if channel not in CONSENT_CHANNELS:
        errors["channel"] = _("Consent is recorded for email, phone or SMS.")
    if status not in (ConsentStatus.GRANTED, ConsentStatus.WITHDRAWN):
        errors["status"] = _("Choose granted or withdrawn.")
    if method not in ConsentRecord.Method.values:
        errors["method"] = _("Say how the consent was given or withdrawn.")
    if errors:
        raise ValidationError(errors)
    record = ConsentRecord.objects.create(
        contact=contact,
        channel=channel,
        status=status,
        method=method,
        note=note,
        at=at or timezone.now(),
        recorded_by=actor,
    )
    field = f"consent_{channel}"
    before = (
        Contact.all_objects.select_for_update()
        .filter(pk=contact.pk)
        .values_list(field, flat=True)
        .get()
    )
    Contact.all_objects.filter(pk=contact.pk).update(
        **{field: status}, version=F("version") + 1, updated_at=timezone.now(), updated_by=actor
    )
    changelog.log_change(actor, contact, ChangeAction.UPDATE, {field: [before, status]})
    events.emit("contact.consent_changed", contact, actor, channel=channel, status=status)
    return record


# --------------------------------------------------------------------------------------------
# merge
# --------------------------------------------------------------------------------------------

MERGEABLE_FIELDS = (
    "name",
    "kind",
    "industry",
    "relationship_class",
    "source_class",
    "region_class",
    "settlement",
    "receivables_class",
    "profitability",
    "profit_contribution",
    "tax_number",
    "phone",
    "email",
    "website",
    "country",
    "province",
    "city",
    "district",
    "street",
    "postal_code",
    "parent",
    "rating",
    "description",
    "owner",
)


@transaction.atomic
def merge_accounts(
    actor: Any,
    survivor: Account,
    duplicate: Account,
    *,
    values_from_duplicate: Iterable[str] = (),
    expected_versions: Mapping[int, int] | None = None,
) -> Account:
    """Merge ``duplicate`` into ``survivor``.

    Fields named in ``values_from_duplicate`` take the duplicate's value; contacts and timeline
    entries move to the survivor; the duplicate goes to the recycle bin, from where restoring
    it undoes the merge.
    """
    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": _("Choose two different accounts.")})
    for obj in (survivor, duplicate):
        core.require_editable(actor, obj)
    core.require_action(actor, "account", Action.DELETE)
    versions = expected_versions or {}
    survivor = Account.objects.select_for_update().get(pk=survivor.pk)
    duplicate = Account.objects.select_for_update().get(pk=duplicate.pk)
    for obj in (survivor, duplicate):
        expected = versions.get(obj.pk)
        if expected is not None and obj.version != expected:
            from guanxi.core.errors import StaleVersion

            raise StaleVersion(obj, expected)
    chosen = [f for f in values_from_duplicate if f in MERGEABLE_FIELDS]
    unknown = [f for f in values_from_duplicate if f not in MERGEABLE_FIELDS]
    if unknown:
        raise ValidationError(
            {"values_from_duplicate": _("Unknown fields: %s") % ", ".join(unknown)}
        )
    survivor_before = changelog.snapshot(survivor)
    data = {f: getattr(duplicate, f) for f in chosen if f != "relationship_class"}
    note_ct = ContentType.objects.get_for_model(Account)
    moved = {
        "contact": list(duplicate.contacts.values_list("pk", flat=True)),
        "note": list(
            Note.objects.filter(content_type=note_ct, object_id=duplicate.pk).values_list(
                "pk", flat=True
            )
        ),
        "tags": list(duplicate.tags.values_list("pk", flat=True)),
    }
    Contact.objects.filter(pk__in=moved["contact"]).update(
        account=survivor, version=F("version") + 1
    )
    Note.objects.filter(pk__in=moved["note"]).update(object_id=survivor.pk)
    survivor.tags.add(*moved["tags"])
    updated = core.update_record(
        actor,
        survivor,
        data,
        expected_version=survivor.version,
        action=ChangeAction.MERGE,
        event=None,
    )
    if (
        "relationship_class" in chosen
        and duplicate.relationship_class != survivor.relationship_class
    ):
        Account.all_objects.filter(pk=survivor.pk).update(
            relationship_class=duplicate.relationship_class
        )
        _record_transition(
            actor, updated, survivor.relationship_class, duplicate.relationship_class, _("merge")
        )
    Merge.objects.create(
        object_type="account",
        survivor_id=survivor.pk,
        merged_id=duplicate.pk,
        actor=actor,
        survivor_before=survivor_before,
        moved=moved,
    )
    changelog.log_change(
        actor,
        updated,
        ChangeAction.MERGE,
        {"merged": [None, duplicate.pk], "contacts_moved": [None, len(moved["contact"])]},
    )
    duplicate.refresh_from_db()
    core.delete_record(
        actor, duplicate, expected_version=None, merged_into=updated, check_permission=False
    )
    events.emit("account.merged", updated, actor, merged_id=duplicate.pk)
    updated.refresh_from_db()
    return updated


def undo_account_merge(actor: Any, restored: Account, entry: Any) -> None:
    """Called when a merged-away account is restored: move back what the merge moved."""
    merge = (
        Merge.objects.filter(
            object_type="account",
            merged_id=restored.pk,
            survivor_id=entry.merged_into,
            undone_at__isnull=True,
        )
        .order_by("-at")
        .first()
    )
    if merge is None:
        return
    Contact.all_objects.filter(pk__in=merge.moved.get("contact", [])).update(
        account=restored, version=F("version") + 1
    )
    Note.all_objects.filter(pk__in=merge.moved.get("note", [])).update(object_id=restored.pk)
    survivor = Account.all_objects.get(pk=merge.survivor_id)
    current = changelog.snapshot(survivor)
    revert = {}
    for name, value in merge.survivor_before.items():
        field = Account._meta.get_field(name)
        if current.get(name) != value and name in MERGEABLE_FIELDS:
            revert[field.attname] = value
    if revert:
        Account.all_objects.filter(pk=survivor.pk).update(**revert, version=F("version") + 1)
        survivor.refresh_from_db()
        survivor.derive_fields()
        Account.all_objects.filter(pk=survivor.pk).update(
            name_pinyin=survivor.name_pinyin,
            name_initials=survivor.name_initials,
            search_tokens=survivor.search_tokens,
        )
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    changelog.log_change(
        actor,
        survivor,
        ChangeAction.UPDATE,
        {
            name: [current.get(name), merge.survivor_before.get(name)]
            for name in merge.survivor_before
            if current.get(name) != merge.survivor_before.get(name) and name in MERGEABLE_FIELDS
        }
        | {"merge_undone": [restored.pk, None]},
    )
