"""Lead use-cases: capture, scoring, allocation, escalation, conversion."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import changelog, events
from guanxi.core import services as core
from guanxi.core.models import Action, ChangeAction, User
from guanxi.customers.models import Account, Contact
from guanxi.customers.services import create_account, create_contact

from . import predictive
from .models import (
    OPEN_STATUSES,
    AssignmentMethod,
    AssignmentRule,
    Enrollment,
    Lead,
    LeadBehaviour,
    LeadScoringRule,
    LeadStatus,
    ScoringSettings,
    TimeoutAction,
)
from .scoring import score_lead

# --------------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------------


def _active_rules() -> list[LeadScoringRule]:
    return list(LeadScoringRule.objects.filter(is_active=True).order_by("pk"))


def _apply_score(
    lead: Lead, rules: list[LeadScoringRule], threshold: int, counts: Counter[str] | None = None
) -> dict[str, Any]:
    """Compute score fields for ``lead``; qualify it when it reaches the threshold."""
    if counts is None:
        counts = Counter(lead.behaviours.values_list("kind", flat=True)) if lead.pk else Counter()
    total, lines = score_lead(lead, rules, counts)
    fields: dict[str, Any] = {"score": total, "score_breakdown": [x.as_dict() for x in lines]}
    if total >= threshold and lead.status in (
        LeadStatus.NEW,
        LeadStatus.CONTACTED,
        LeadStatus.NURTURING,
    ):
        fields["status"] = LeadStatus.QUALIFIED
        fields["qualified_at"] = timezone.now()
    return fields


@transaction.atomic
def rescore(lead: Lead, actor: Any = None) -> Lead:
    """Recompute a lead's score from the current rules and its behaviours."""
    settings_ = ScoringSettings.current()
    current = Lead.all_objects.select_for_update().get(pk=lead.pk)
    fields = _apply_score(current, _active_rules(), settings_.qualify_threshold)
    changes = {
        k: [getattr(current, k), v]
        for k, v in fields.items()
        if k in ("score", "status") and getattr(current, k) != v
    }
    Lead.all_objects.filter(pk=current.pk).update(**fields)
    if changes:
        changelog.log_change(actor, current, ChangeAction.UPDATE, changes)
        if "status" in changes:
            events.emit("lead.qualified", current, actor, score=fields["score"])
    current.refresh_from_db()
    return current


@transaction.atomic
def rescore_all(actor: Any) -> int:
    """Re-apply the scoring model to every open lead (after an administrator changes rules)."""
    if not actor.is_admin_for("lead"):
        raise PermissionDenied(_("Only administrators change the scoring model."))
    rules = _active_rules()
    threshold = ScoringSettings.current().qualify_threshold
    count = 0
    counts_by_lead: dict[int, Counter[str]] = {}
    for lead_id, kind, n in (
        LeadBehaviour.objects.values_list("lead", "kind").annotate(n=Count("pk")).order_by()
    ):
        counts_by_lead.setdefault(lead_id, Counter())[kind] = n
    for lead in Lead.objects.filter(status__in=OPEN_STATUSES).iterator(chunk_size=2000):
        fields = _apply_score(lead, rules, threshold, counts_by_lead.get(lead.pk, Counter()))
        if fields["score"] != lead.score or fields.get("status", lead.status) != lead.status:
            Lead.all_objects.filter(pk=lead.pk).update(**fields)
            count += 1
    return count


@transaction.atomic
def record_behaviour(
    lead: Lead, kind: str, detail: str = "", at: Any = None, actor: Any = None
) -> Lead:
    """Something the lead did (reply, visit, form submit …): rescore, and stop nurturing on a
    reply or an unsubscribe."""
    LeadBehaviour.objects.create(lead=lead, kind=kind, detail=detail, at=at or timezone.now())
    if kind == "email_reply":
        stop_enrollments(lead, "replied")
    if kind == "unsubscribed":
        Lead.all_objects.filter(pk=lead.pk).update(opted_out=True)
        stop_enrollments(lead, "opted_out")
    return rescore(lead, actor)


def stop_enrollments(lead: Lead, reason: str) -> int:
    return Enrollment.objects.filter(lead=lead, status=Enrollment.Status.ACTIVE).update(
        status=Enrollment.Status.STOPPED, stop_reason=reason
    )


# --------------------------------------------------------------------------------------------
# allocation
# --------------------------------------------------------------------------------------------


class _Allocator:
    """Chooses reps for a batch of leads, reading caps, absences and loads once.

    Round-robin walks the team's eligible reps in id order from the rule's last position;
    least-loaded picks the rep with the fewest open leads (ties by id). A rep at capacity,
    absent, or not taking leads is skipped.
    """

    def __init__(self, now: Any) -> None:
        self.now = now
        self.team_reps: dict[int, list[User]] = {}
        self.load: Counter[int] = Counter()
        self.capacity: dict[int, int | None] = {}
        self.loaded_users: set[int] = set()

    def reps(self, team_id: int) -> list[User]:
        if team_id not in self.team_reps:
            # the team's manager takes escalations, not the round-robin
            users = list(
                User.objects.filter(team_id=team_id, is_active=True, kind=User.Kind.STAFF)
                .exclude(managed_teams__pk=team_id)
                .prefetch_related("roles")
                .select_related("availability")
                .order_by("pk")
            )
            eligible = []
            for user in users:
                if not user.has_action("lead", Action.EDIT):
                    continue
                availability = getattr(user, "availability", None)
                if availability is not None and (
                    not availability.accepts_leads or availability.is_absent(self.now)
                ):
                    continue
                self.capacity[user.pk] = availability.max_open_leads if availability else None
                eligible.append(user)
            self._load_counts([u.pk for u in eligible])
            self.team_reps[team_id] = eligible
        return self.team_reps[team_id]

    def _load_counts(self, user_ids: list[int]) -> None:
        missing = [u for u in user_ids if u not in self.loaded_users]
        if not missing:
            return
        for owner_id, n in (
            Lead.objects.filter(owner_id__in=missing, status__in=OPEN_STATUSES)
            .values_list("owner")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            self.load[owner_id] = n
        self.loaded_users.update(missing)

    def has_room(self, user: User) -> bool:
        cap = self.capacity.get(user.pk)
        return cap is None or self.load[user.pk] < cap

    def pick(self, rule: AssignmentRule, exclude: int | None = None) -> User | None:
        reps = [u for u in self.reps(rule.team_id) if u.pk != exclude and self.has_room(u)]
        if not reps:
            return None
        if rule.method == AssignmentMethod.LEAST_LOADED:
            chosen = min(reps, key=lambda u: (self.load[u.pk], u.pk))
        else:
            last = rule.last_assigned_id or 0
            after = [u for u in reps if u.pk > last]
            chosen = after[0] if after else reps[0]
            rule.last_assigned_id = chosen.pk
        self.load[chosen.pk] += 1
        return chosen


def _matching_rule(lead: Lead, rules: Sequence[AssignmentRule]) -> AssignmentRule | None:
    return next((rule for rule in rules if rule.matches(lead)), None)


@transaction.atomic
def assign_leads(
    leads: Iterable[Lead],
    actor: Any = None,
    *,
    now: Any = None,
    exclude_current_owner: bool = False,
) -> dict[int, int | None]:
    """Run the assignment rules on leads: rule → team, then round-robin or least-loaded rep.

    Writes owners with one UPDATE per rep and one change-log INSERT, so 10,000 new leads are
    assigned in seconds. Returns {lead id: owner id or None (left in the team's queue)}.
    """
    now = now or timezone.now()
    rules = list(
        AssignmentRule.objects.select_for_update().filter(is_active=True).order_by("order", "pk")
    )
    allocator = _Allocator(now)
    result: dict[int, int | None] = {}
    by_owner: dict[tuple[int | None, int | None], list[Lead]] = {}
    changes: dict[int, dict[str, list[Any]]] = {}
    leads = list(leads)
    for lead in leads:
        rule = _matching_rule(lead, rules)
        if rule is None:
            result[lead.pk] = lead.owner_id
            continue
        exclude = lead.owner_id if exclude_current_owner else None
        rep = allocator.pick(rule, exclude=exclude)
        owner_id = rep.pk if rep else None
        result[lead.pk] = owner_id
        by_owner.setdefault((owner_id, rule.team_id), []).append(lead)
        changes[lead.pk] = {
            "owner": [lead.owner_id, owner_id],
            "team": [lead.team_id, rule.team_id],
        }
    for (owner_id, team_id), group in by_owner.items():
        Lead.all_objects.filter(pk__in=[lead.pk for lead in group]).update(
            owner_id=owner_id,
            team_id=team_id,
            assigned_at=now,
            escalated_at=None,
            version=F("version") + 1,
            updated_at=now,
        )
    for rule in rules:
        AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned_id=rule.last_assigned_id)
    moved = [lead for lead in leads if lead.pk in changes]
    changelog.log_bulk(actor, moved, ChangeAction.UPDATE, changes)
    for lead in moved:
        events.emit("lead.assigned", lead, actor, owner_id=result[lead.pk])
    return result


@transaction.atomic
def reassign_lead(actor: Any, lead: Lead, owner: User | None = None) -> Lead:
    """Give a lead to a named rep (within the actor's rights) or back through the rules."""
    core.require_editable(actor, lead)
    if owner is None:
        assign_leads([Lead.all_objects.get(pk=lead.pk)], actor, exclude_current_owner=True)
        return Lead.all_objects.get(pk=lead.pk)
    updated = core.update_record(actor, lead, {"owner": owner}, expected_version=None)
    Lead.all_objects.filter(pk=lead.pk).update(assigned_at=timezone.now(), escalated_at=None)
    return updated


def _tell_manager(rule: AssignmentRule, count: int) -> None:
    """The team's manager learns that leads were not contacted in time and are now theirs."""
    from django.urls import reverse

    from guanxi.core.notifications import notify

    manager = rule.team.manager
    if manager is None:
        return
    url = f"{reverse('leads:lead-list')}?owner={manager.pk}&not_contacted=true"
    notify(
        manager,
        _(
            "%(count)s leads of %(team)s were not contacted within %(hours)s hours; "
            "they are yours now."
        )
        % {"count": count, "team": rule.team, "hours": rule.contact_within_hours},
        url=url,
    )


@transaction.atomic
def escalate_overdue(now: Any = None) -> dict[str, int]:
    """Leads not contacted within their rule's time go to the team's manager or back to the
    queue (the next rep). Run by a scheduled job."""
    now = now or timezone.now()
    done = {"escalated": 0, "requeued": 0}
    for rule in AssignmentRule.objects.filter(is_active=True, contact_within_hours__isnull=False):
        limit = now - timedelta(hours=rule.contact_within_hours)
        overdue = list(
            Lead.objects.filter(
                team_id=rule.team_id,
                status__in=OPEN_STATUSES,
                first_contacted_at__isnull=True,
                assigned_at__lt=limit,
                escalated_at__isnull=True,
            ).select_for_update()
        )
        if not overdue:
            continue
        if rule.on_timeout == TimeoutAction.ESCALATE:
            manager_id = rule.team.manager_id
            for lead in overdue:
                changelog.log_change(
                    None,
                    lead,
                    ChangeAction.UPDATE,
                    {"owner": [lead.owner_id, manager_id], "escalated": [None, True]},
                )
                events.emit(
                    "lead.escalated", lead, None, from_owner=lead.owner_id, to_owner=manager_id
                )
            Lead.all_objects.filter(pk__in=[x.pk for x in overdue]).update(
                owner_id=manager_id, escalated_at=now, version=F("version") + 1
            )
            done["escalated"] += len(overdue)
            _tell_manager(rule, len(overdue))
        else:
            assign_leads(overdue, None, now=now, exclude_current_owner=True)
            done["requeued"] += len(overdue)
    return done


# --------------------------------------------------------------------------------------------
# capture and edit
# --------------------------------------------------------------------------------------------


def _split_tags(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    plain = dict(data)
    tags = plain.pop("tags", None)
    return plain, ({"tags": tags} if tags is not None else None)


@transaction.atomic
def create_lead(
    actor: Any,
    data: Mapping[str, Any],
    *,
    assign: bool = True,
    web_form: Any = None,
    owner: Any = "actor",
) -> Lead:
    """Capture a lead (manual, API, import or web form), score it, and allocate it.

    A lead created by a user without assignment keeps that user (or the ``owner`` they chose,
    within their rights) as owner; with ``assign`` the assignment rules decide when one
    matches. ``actor`` may be None for a public web form.
    """
    plain, m2m = _split_tags(data)
    if actor is not None and getattr(actor, "pk", None):
        lead = core.create_record(actor, Lead, plain, m2m=m2m, owner=owner)
    else:
        lead = core.create_record(None, Lead, plain, m2m=m2m, owner=None, check_permission=False)
    extra: dict[str, Any] = {}
    if web_form is not None:
        extra["web_form"] = web_form
    fields = _apply_score(
        lead, _active_rules(), ScoringSettings.current().qualify_threshold, Counter()
    )
    Lead.all_objects.filter(pk=lead.pk).update(**fields, **extra)
    predictive.predict(lead)  # the learnt chance beside the score, when a model is trained
    lead.refresh_from_db()
    if assign:
        assign_leads([lead], actor)
        lead.refresh_from_db()
    return lead


@transaction.atomic
def create_leads_bulk(actor: Any, items: Sequence[tuple[Lead, Mapping[str, Any]]]) -> list[Lead]:
    """Write many checked leads at once (an import): each is scored, all are inserted in bulk,
    then the assignment rules run over those the importer kept (the file named no other
    owner), in one batch."""
    rules = _active_rules()
    threshold = ScoringSettings.current().qualify_threshold
    for lead, _m2m in items:
        for name, value in _apply_score(lead, rules, threshold, Counter()).items():
            setattr(lead, name, value)
    leads = core.create_records_bulk(actor, Lead, items)
    if leads:  # a range, not a list of ids: an import may bring a hundred thousand rows
        ids = [lead.pk for lead in leads]
        predictive.predict_many(Lead.all_objects.filter(pk__range=(min(ids), max(ids))))
    mine = [lead for lead in leads if lead.owner_id in (None, getattr(actor, "pk", None))]
    if mine:
        assign_leads(mine, actor)
    return leads


def import_lead(actor: Any, data: Mapping[str, Any], *, owner: Any = "actor") -> Lead:
    """One imported row: a lead the file gives an owner keeps them; the others go through the
    assignment rules."""
    return create_lead(actor, data, owner=owner, assign=owner == "actor")


@transaction.atomic
def update_lead(
    actor: Any, lead: Lead, data: Mapping[str, Any], *, expected_version: int | None
) -> Lead:
    plain, m2m = _split_tags(data)
    if plain.get("status") in (LeadStatus.CONVERTED,):
        raise ValidationError({"status": _("Convert the lead with the Convert action.")})
    if plain.get("status") == LeadStatus.DISQUALIFIED and not (
        plain.get("disqualify_reason") or lead.disqualify_reason
    ):
        raise ValidationError({"disqualify_reason": _("Say why the lead is disqualified.")})
    updated = core.update_record(actor, lead, plain, expected_version=expected_version, m2m=m2m)
    if plain.get("status") == LeadStatus.DISQUALIFIED:
        stop_enrollments(updated, "disqualified")
    return rescore(updated, actor)


@transaction.atomic
def delete_lead(actor: Any, lead: Lead, *, expected_version: int | None) -> Any:
    """Move a lead (and its timeline) to the recycle bin; its nurturing stops."""
    entry = core.delete_record(actor, lead, expected_version=expected_version)
    stop_enrollments(lead, "deleted")
    return entry


@transaction.atomic
def mark_contacted(actor: Any, lead: Lead, at: Any = None) -> Lead:
    """The first contact stops the escalation clock; a new lead becomes contacted."""
    core.require_editable(actor, lead)
    at = at or timezone.now()
    changes: dict[str, list[Any]] = {}
    if Lead.all_objects.filter(pk=lead.pk, first_contacted_at__isnull=True).update(
        first_contacted_at=at
    ):
        changes["first_contacted_at"] = [None, at.isoformat()]
    if Lead.all_objects.filter(pk=lead.pk, status=LeadStatus.NEW).update(
        status=LeadStatus.CONTACTED, version=F("version") + 1
    ):
        changes["status"] = [LeadStatus.NEW, LeadStatus.CONTACTED]
    lead.refresh_from_db()
    # Contacting a lead again changes nothing, so it leaves no entry either.
    if changes:
        changelog.log_change(actor, lead, ChangeAction.UPDATE, changes)
    return lead


#: Timeline entries that are a contact with the lead (a plain note is not).
CONTACT_KINDS = frozenset({"call", "visit", "meeting", "email", "message"})


@transaction.atomic
def log_interaction(actor: Any, lead: Lead, data: Mapping[str, Any]) -> Any:
    """Log a note or an interaction on the lead's timeline; a call, visit, meeting, email or
    message also marks the lead contacted (which stops its escalation clock)."""
    note = core.add_note(actor, lead, data)
    if note.kind in CONTACT_KINDS and lead.can_edit(actor):
        mark_contacted(actor, lead, at=min(note.occurred_at, timezone.now()))
    return note


@transaction.atomic
def disqualify_lead(
    actor: Any, lead: Lead, reason: str, *, expected_version: int | None = None
) -> Lead:
    """Mark an open lead disqualified, saying why; its nurturing stops."""
    if not lead.is_open:
        raise ValidationError({"status": _("Only an open lead can be disqualified.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"disqualify_reason": _("Say why the lead is disqualified.")})
    return update_lead(
        actor,
        lead,
        {"status": LeadStatus.DISQUALIFIED, "disqualify_reason": reason},
        expected_version=expected_version,
    )


@transaction.atomic
def log_behaviour(actor: Any, lead: Lead, kind: str, detail: str = "", at: Any = None) -> Lead:
    """A user (or an integration acting as one) reports what the lead did: rescored at once."""
    from .models import BehaviourKind

    core.require_editable(actor, lead)
    if kind not in BehaviourKind.values:
        raise ValidationError({"kind": _("Choose one of: %s.") % ", ".join(BehaviourKind.values)})
    if len(detail or "") > LeadBehaviour._meta.get_field("detail").max_length:
        raise ValidationError({"detail": _("At most 200 characters.")})
    return record_behaviour(lead, kind, detail=detail or "", at=at, actor=actor)


@transaction.atomic
def capture_web_lead(web_form: Any, data: Mapping[str, Any]) -> Lead:
    """A submit of a public web form: the lead is created, scored (with its form submit) and
    assigned in this request, and its new owner is told."""
    from django.urls import reverse

    from guanxi.core.notifications import notify

    payload = dict(data)
    payload["source"] = web_form.source
    payload["campaign"] = web_form.campaign
    lead = create_lead(None, payload, web_form=web_form)
    lead = record_behaviour(lead, "form_submit", detail=web_form.name[:200])
    if lead.owner is not None:
        notify(
            lead.owner,
            _("New web lead: %(lead)s (%(form)s)") % {"lead": lead, "form": web_form.name},
            url=reverse("leads:lead-detail", args=[lead.pk]),
        )
    return lead


# --------------------------------------------------------------------------------------------
# conversion
# --------------------------------------------------------------------------------------------

_COMPANY_SUFFIX = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|集团|公司|co\.?,?\s*ltd\.?|ltd\.?|inc\.?|llc|limited|"
    r"corporation|corp\.?|gmbh)$",
    re.IGNORECASE,
)


def normalised_company(name: str) -> str:
    text = re.sub(r"[\s·.,，()（）]+", "", (name or "").strip().lower())
    previous = None
    while previous != text:
        previous = text
        text = _COMPANY_SUFFIX.sub("", text)
    return text


def find_matching_account(actor: Any, lead: Lead) -> Account | None:
    """An account the actor can see that is the lead's company: by contact email or mobile,
    account phone or email, or near-same name (ignoring 有限公司, Ltd. and the like)."""
    accounts = Account.objects.visible_to(actor)
    contacts = Contact.objects.visible_to(actor).filter(account__isnull=False)
    if lead.email:
        match = contacts.filter(email=lead.email).first()
        if match:
            return match.account
        match = accounts.filter(email=lead.email).first()
        if match:
            return match
    if lead.mobile:
        match = contacts.filter(mobile=lead.mobile).first()
        if match:
            return match.account
    if lead.phone:
        match = accounts.filter(phone=lead.phone).first()
        if match:
            return match
    key = normalised_company(lead.company)
    if key:
        from guanxi.core.search import search_filter

        for account in search_filter(accounts, lead.company).order_by("-search_rank", "pk")[:20]:
            if normalised_company(account.name) == key:
                return account
    return None


def find_matching_contact(actor: Any, lead: Lead, account: Account | None) -> Contact | None:
    contacts = Contact.objects.visible_to(actor)
    q = Q()
    if lead.email:
        q |= Q(email=lead.email)
    if lead.mobile:
        q |= Q(mobile=lead.mobile)
    if not q and account is not None:
        q = Q(account=account, name=lead.person_name)
    if not q:
        return None
    return contacts.filter(q).order_by("pk").first()


@transaction.atomic
def convert_lead(
    actor: Any,
    lead: Lead,
    *,
    account: Account | None = None,
    new_account: bool = False,
    create_opportunity: bool = True,
    opportunity_data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> tuple[Account, Contact, Any]:
    """Turn a lead into account + contact + opportunity in one transaction.

    Links to an existing account or contact when one matches (email, mobile, phone, near-same
    company name) instead of creating a duplicate; the lead keeps links to what it became.
    ``account`` names the account to link to; ``new_account`` creates one even when one
    matches (the user looked and it is another company).
    """
    from guanxi.sales.services import create_opportunity as new_opportunity

    core.require_editable(actor, lead)
    current = Lead.all_objects.select_for_update().get(pk=lead.pk)
    if expected_version is not None and current.version != expected_version:
        from guanxi.core.errors import StaleVersion

        raise StaleVersion(current, expected_version)
    if current.status in (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED):
        raise ValidationError({"status": _("Only an open lead can be converted.")})
    if account is not None and not Account.objects.visible_to(actor).filter(pk=account.pk).exists():
        raise ValidationError({"account": _("Select an account you can see.")})
    if account is None and not new_account:
        account = find_matching_account(actor, current)
    if account is None:
        account = create_account(
            actor,
            {
                "name": current.company or current.person_name,
                "kind": "company" if current.company else "person",
                "industry": current.industry,
                "province": current.province,
                "city": current.city,
                "phone": current.phone,
                "relationship_class": "target",
            },
        )
    contact = None if new_account else find_matching_contact(actor, current, account)
    if contact is not None and contact.account_id not in (None, account.pk):
        contact = None  # a match at another company is another person's record
    if contact is None:
        contact = create_contact(
            actor,
            {
                "name": current.person_name,
                "account": account,
                "title": current.title,
                "mobile": current.mobile,
                "phone": current.phone,
                "email": current.email,
            },
        )
    opportunity = None
    if create_opportunity:
        data = {
            "name": current.product_interest or str(current),
            "account": account,
            "amount": current.budget or 0,
            "currency": current.currency,
            "products_of_interest": current.product_interest,
            "description": current.need,
        }
        data.update(opportunity_data or {})
        opportunity = new_opportunity(actor, data, decision_makers=[(contact, "")])
        from guanxi.sales.models import Opportunity

        Opportunity.all_objects.filter(pk=opportunity.pk).update(source_lead_id=current.pk)
    now = timezone.now()
    Lead.all_objects.filter(pk=current.pk).update(
        status=LeadStatus.CONVERTED,
        converted_at=now,
        converted_account=account,
        converted_contact=contact,
        converted_opportunity=opportunity,
        version=F("version") + 1,
        updated_at=now,
        updated_by=actor,
    )
    stop_enrollments(current, "converted")
    changelog.log_change(
        actor,
        current,
        ChangeAction.UPDATE,
        {
            "status": [current.status, LeadStatus.CONVERTED],
            "converted_account": [None, account.pk],
            "converted_contact": [None, contact.pk],
            "converted_opportunity": [None, opportunity.pk if opportunity else None],
        },
    )
    events.emit(
        "lead.converted",
        current,
        actor,
        account_id=account.pk,
        contact_id=contact.pk,
        opportunity_id=opportunity.pk if opportunity else None,
    )
    return account, contact, opportunity
