"""Nurturing: sequences of steps (emails, tasks, waits) that leads are enrolled in.

* Administrators and marketing (the ``sequence`` permission of their role) build sequences:
  :func:`create_sequence`, :func:`update_sequence`, :func:`delete_sequence`.
* Whoever may edit a lead enrols it: :func:`enroll_leads` skips leads that opted out, are
  converted or disqualified, or are in the sequence already. The first step runs right after
  the commit.
* :func:`run_due_enrollments` is the scheduled job (Celery beat through ``guanxi.core.jobs``,
  or ``manage.py run_sequences``): each due enrolment executes its step, then waits the next
  step's ``wait_days``; it completes when no step is left.

A step's ``wait_days`` is the pause *before* it: "email, wait 2 days, email" sends the first
email at once, the second two days later. An email goes through Django's email backend to the
lead's address, with ``{name}``, ``{company}`` and ``{owner}`` filled in and a footer in the
lead's language (how to stop the emails), and is logged as an outbound email on the lead's
timeline. A task becomes an activity for the lead's owner. A reply, an unsubscribe, conversion,
disqualification or deletion stops the lead's enrolments (``services.stop_enrollments``); a
lead that opted out is never emailed, whatever its enrolments say.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import changelog, events, jobs
from guanxi.core.errors import StaleVersion
from guanxi.core.models import Action, ChangeAction, Note

from .models import Enrollment, Lead, LeadStatus, SequenceStep
from .models import Sequence as NurturingSequence

logger = logging.getLogger(__name__)

#: The role permission key of sequences (``{"sequence": ["create", "edit", "delete"]}``).
OBJECT_TYPE = "sequence"
SEQUENCE_FIELDS = ("name", "is_active")
STEP_FIELDS = ("kind", "wait_days", "subject", "body")
MAX_STEPS = 50
MAX_WAIT_DAYS = 365
UNSUBSCRIBE_SALT = "guanxi.leads.nurturing.unsubscribe"
PLACEHOLDERS = ("name", "company", "owner")


class SkipReason(models.TextChoices):
    """Why a lead was not enrolled."""

    OPTED_OUT = "opted_out", gettext_lazy("opted out of messages")
    CONVERTED = "converted", gettext_lazy("already converted")
    DISQUALIFIED = "disqualified", gettext_lazy("disqualified")
    ALREADY_ENROLLED = "already_enrolled", gettext_lazy("already in this sequence")
    NOT_EDITABLE = "not_editable", gettext_lazy("you may not change this lead")
    NOT_FOUND = "not_found", gettext_lazy("no such lead")


# --------------------------------------------------------------------------------------------
# who may do what
# --------------------------------------------------------------------------------------------


def can_manage_sequences(actor: Any) -> bool:
    """Administrators and roles granted ``sequence`` edit (marketing) build sequences."""
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.has_action(OBJECT_TYPE, Action.EDIT)
    )


def require_sequence_manager(actor: Any) -> None:
    if not can_manage_sequences(actor):
        raise PermissionDenied(_("Only administrators and marketing change nurturing sequences."))


# --------------------------------------------------------------------------------------------
# sequences
# --------------------------------------------------------------------------------------------


def _apply(obj: models.Model, data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise ValidationError({key: _("This field cannot be set.") for key in unknown})
    for key, value in data.items():
        setattr(obj, key, value.strip() if isinstance(value, str) else value)


def clean_steps(steps: Sequence[Mapping[str, Any]]) -> list[SequenceStep]:
    """Unsaved steps in order, each checked; errors say which step is wrong."""
    if not steps:
        raise ValidationError({"steps": _("A sequence needs at least one step.")})
    if len(steps) > MAX_STEPS:
        raise ValidationError({"steps": _("At most %(n)s steps.") % {"n": MAX_STEPS}})
    built: list[SequenceStep] = []
    problems: list[str] = []
    for number, data in enumerate(steps, start=1):
        step = SequenceStep(order=number - 1)
        try:
            _apply(step, data, STEP_FIELDS)
        except ValidationError as exc:
            problems.extend(
                _("Step %(n)s: %(error)s") % {"n": number, "error": m} for m in exc.messages
            )
            continue
        step.wait_days = step.wait_days or 0
        message = _step_problem(step)
        if message:
            problems.append(_("Step %(n)s: %(error)s") % {"n": number, "error": message})
        built.append(step)
    if problems:
        raise ValidationError({"steps": problems})
    return built


def _step_problem(step: SequenceStep) -> str:
    if step.kind not in SequenceStep.Kind.values:
        return _("choose email, task or wait.")
    try:
        wait = int(step.wait_days)
    except (TypeError, ValueError):
        return _("the wait is a whole number of days.")
    if wait < 0 or wait > MAX_WAIT_DAYS:
        return _("wait between 0 and %(n)s days.") % {"n": MAX_WAIT_DAYS}
    step.wait_days = wait
    if step.kind == SequenceStep.Kind.EMAIL and not (step.subject and step.body):
        return _("an email needs a subject and a text.")
    if step.kind == SequenceStep.Kind.TASK and not (step.subject or step.body):
        return _("a task needs a subject or a text.")
    if step.kind == SequenceStep.Kind.WAIT and wait < 1:
        return _("a wait lasts at least one day.")
    if len(step.subject or "") > 200:
        return _("the subject has at most 200 characters.")
    return ""


def _describe_steps(steps: Iterable[SequenceStep]) -> list[str]:
    """The steps as the change log keeps them: "email +0d: Welcome"."""
    return [f"{s.kind} +{s.wait_days}d: {s.subject}".strip() for s in steps]


def _write_steps(sequence: NurturingSequence, steps: list[SequenceStep]) -> None:
    sequence.steps.all().delete()
    for order, step in enumerate(steps):
        step.sequence = sequence
        step.order = order
        step.pk = None
    SequenceStep.objects.bulk_create(steps)


@transaction.atomic
def create_sequence(
    actor: Any, data: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]
) -> NurturingSequence:
    """Create a sequence with its ordered steps (administrators and marketing)."""
    require_sequence_manager(actor)
    sequence = NurturingSequence()
    _apply(sequence, data, SEQUENCE_FIELDS)
    built = clean_steps(steps)
    sequence.full_clean()
    sequence.save(force_insert=True)
    _write_steps(sequence, built)
    changes = {k: [None, v] for k, v in changelog.snapshot(sequence).items() if v not in ("",)}
    changes["steps"] = [None, _describe_steps(built)]
    changelog.log_change(actor, sequence, ChangeAction.CREATE, changes)
    return sequence


@transaction.atomic
def update_sequence(
    actor: Any,
    sequence: NurturingSequence,
    data: Mapping[str, Any],
    steps: Sequence[Mapping[str, Any]] | None = None,
    *,
    expected_version: int | None,
) -> NurturingSequence:
    """Change a sequence (and, when given, replace its steps) if it is still at
    ``expected_version``. Active enrolments go on at the same step number."""
    require_sequence_manager(actor)
    current = NurturingSequence.objects.select_for_update().get(pk=sequence.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current, expected_version)
    before = changelog.snapshot(current)
    old_steps = _describe_steps(current.steps.order_by("order", "pk"))
    _apply(current, data, SEQUENCE_FIELDS)
    current.full_clean()
    changes = changelog.diff(before, changelog.snapshot(current))
    if steps is not None:
        built = clean_steps(steps)
        new_steps = _describe_steps(built)
        _write_steps(current, built)
        if new_steps != old_steps:
            changes["steps"] = [old_steps, new_steps]
    NurturingSequence.objects.filter(pk=current.pk).update(
        name=current.name, is_active=current.is_active, version=F("version") + 1
    )
    current.version += 1
    if changes:
        changelog.log_change(actor, current, ChangeAction.UPDATE, changes)
    return current


@transaction.atomic
def delete_sequence(
    actor: Any, sequence: NurturingSequence, *, expected_version: int | None
) -> None:
    """Delete a sequence nobody is going through any more (deactivate it otherwise)."""
    require_sequence_manager(actor)
    current = NurturingSequence.objects.select_for_update().get(pk=sequence.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current, expected_version)
    if current.enrollments.filter(status=Enrollment.Status.ACTIVE).exists():
        raise ValidationError(
            _("Leads are still going through this sequence: deactivate it, or stop them first.")
        )
    snapshot = changelog.snapshot(current)
    snapshot["steps"] = _describe_steps(current.steps.order_by("order", "pk"))
    changelog.log_change(actor, current, ChangeAction.DELETE, snapshot)
    current.delete()


def sequences_with_counts() -> models.QuerySet[NurturingSequence]:
    """Sequences with their number of steps and of active, completed and stopped enrolments."""
    return NurturingSequence.objects.annotate(
        step_count=Count("steps", distinct=True),
        active_count=Count(
            "enrollments", filter=Q(enrollments__status=Enrollment.Status.ACTIVE), distinct=True
        ),
        completed_count=Count(
            "enrollments",
            filter=Q(enrollments__status=Enrollment.Status.COMPLETED),
            distinct=True,
        ),
        stopped_count=Count(
            "enrollments", filter=Q(enrollments__status=Enrollment.Status.STOPPED), distinct=True
        ),
    ).order_by("name", "pk")


def enrollments_visible_to(actor: Any) -> models.QuerySet[Enrollment]:
    """Enrolments of the leads the actor may see."""
    visible = Lead.objects.visible_to(actor).filter(pk=models.OuterRef("lead_id"))
    return Enrollment.objects.filter(models.Exists(visible))


# --------------------------------------------------------------------------------------------
# enrolment
# --------------------------------------------------------------------------------------------


@dataclass
class EnrollResult:
    enrolled: list[Enrollment] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # lead id → SkipReason


def _ids(leads: Iterable[Any]) -> list[int]:
    ids: list[int] = []
    for lead in leads:
        value = getattr(lead, "pk", lead)
        try:
            ids.append(int(value))
        except (TypeError, ValueError) as exc:
            raise ValidationError({"leads": _("Give lead ids.")}) from exc
    return list(dict.fromkeys(ids))


def _skip_reason(lead: Lead) -> str | None:
    if lead.opted_out:
        return SkipReason.OPTED_OUT
    if lead.status == LeadStatus.CONVERTED:
        return SkipReason.CONVERTED
    if lead.status == LeadStatus.DISQUALIFIED:
        return SkipReason.DISQUALIFIED
    return None


@transaction.atomic
def enroll_leads(actor: Any, sequence: NurturingSequence, leads: Iterable[Any]) -> EnrollResult:
    """Put leads the actor may edit into an active sequence; the first step runs after the
    commit. Leads that opted out, are converted or disqualified, or are in the sequence already
    are skipped (and said why); so are leads the actor may not change or see."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in to enrol leads."))
    sequence = NurturingSequence.objects.get(pk=sequence.pk)
    if not sequence.is_active:
        raise ValidationError({"sequence": _("This sequence is inactive.")})
    first = sequence.steps.order_by("order", "pk").first()
    if first is None:
        raise ValidationError({"sequence": _("This sequence has no steps.")})
    ids = _ids(leads)
    result = EnrollResult()
    editable = {
        lead.pk: lead for lead in Lead.objects.editable_by(actor).filter(pk__in=ids).order_by()
    }
    visible = set(Lead.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
    already = set(
        Enrollment.objects.filter(
            sequence=sequence, lead_id__in=list(editable), status=Enrollment.Status.ACTIVE
        ).values_list("lead_id", flat=True)
    )
    now = timezone.now()
    rows: list[Enrollment] = []
    for lead_id in ids:
        lead = editable.get(lead_id)
        if lead is None:
            result.skipped[lead_id] = (
                SkipReason.NOT_EDITABLE if lead_id in visible else SkipReason.NOT_FOUND
            )
            continue
        reason = _skip_reason(lead)
        if reason is None and lead_id in already:
            reason = SkipReason.ALREADY_ENROLLED
        if reason:
            result.skipped[lead_id] = reason
            continue
        rows.append(
            Enrollment(
                lead=lead,
                sequence=sequence,
                next_step=0,
                next_run_at=now + timedelta(days=first.wait_days),
                enrolled_at=now,
                enrolled_by=actor,
            )
        )
    try:
        with transaction.atomic():
            created = Enrollment.objects.bulk_create(rows)
    except IntegrityError:  # someone enrolled one of them meanwhile: go one by one
        created = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
                created.append(row)
            except IntegrityError:
                result.skipped[row.lead_id] = SkipReason.ALREADY_ENROLLED
    if created and any(row.pk is None for row in created):  # backends without RETURNING
        created = list(
            Enrollment.objects.filter(
                sequence=sequence,
                lead_id__in=[row.lead_id for row in created],
                status=Enrollment.Status.ACTIVE,
            )
        )
    result.enrolled = created
    changelog.log_bulk(
        actor,
        [row.lead for row in created],
        ChangeAction.UPDATE,
        {row.lead_id: {"sequence": [None, sequence.name]} for row in created},
    )
    due = [row.pk for row in created if row.next_run_at <= now]
    if due:
        jobs.enqueue("guanxi.leads.nurturing.run_enrollments", due)
    return result


@transaction.atomic
def stop_enrollment(actor: Any, enrollment: Enrollment, reason: str = "") -> Enrollment:
    """Take a lead out of a sequence by hand (whoever may edit the lead)."""
    if not Lead.objects.editable_by(actor).filter(pk=enrollment.lead_id).exists():
        raise PermissionDenied(_("You may not change this lead."))
    reason = (reason or "").strip()[:100] or "stopped"
    stopped = Enrollment.objects.filter(pk=enrollment.pk, status=Enrollment.Status.ACTIVE).update(
        status=Enrollment.Status.STOPPED, stop_reason=reason
    )
    enrollment.refresh_from_db()
    if stopped:
        changelog.log_change(
            actor,
            enrollment.lead,
            ChangeAction.UPDATE,
            {"sequence": [enrollment.sequence.name, None], "stop_reason": [None, reason]},
        )
    return enrollment


# --------------------------------------------------------------------------------------------
# running the steps
# --------------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def lead_language(lead: Lead) -> str:
    """The language to write to a lead in: its own if the model keeps one, Chinese when its
    name or company is written in Chinese, else the site's default."""
    own = getattr(lead, "language", "")
    if own:
        return own
    if _CJK.search(f"{lead.person_name}{lead.company}"):
        return "zh-hans"
    return settings.LANGUAGE_CODE


def _reader_language(lead: Lead) -> str:
    """The language of the lead's owner (who reads its timeline), else the site's."""
    return getattr(lead.owner, "language", "") or settings.LANGUAGE_CODE


def fill_placeholders(text: str, lead: Lead) -> str:
    """``{name}``, ``{company}`` and ``{owner}`` replaced by the lead's values; other braces
    are left as they are."""
    owner = lead.owner
    values = {
        "name": lead.person_name,
        "company": lead.company,
        "owner": (owner.get_full_name() or owner.username) if owner else "",
    }
    for key in PLACEHOLDERS:
        text = text.replace("{" + key + "}", values[key] or "")
    return text


def unsubscribe_token(lead: Lead) -> str:
    """A signed token naming the lead; it does not expire (old emails keep working)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"lead": lead.pk}, compress=True)


def lead_for_token(token: str) -> Lead | None:
    """The lead an unsubscribe link was made for, or None for a forged or broken one."""
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except signing.BadSignature:
        return None
    return Lead.all_objects.filter(pk=data.get("lead")).first()


def unsubscribe_url(lead: Lead) -> str:
    """The absolute unsubscribe link, when ``GUANXI_PUBLIC_URL`` says where Guanxi is."""
    base = str(getattr(settings, "GUANXI_PUBLIC_URL", "") or "").rstrip("/")
    if not base:
        return ""
    return base + reverse("nurturing:unsubscribe", args=[unsubscribe_token(lead)])


def _footer(lead: Lead) -> str:
    url = unsubscribe_url(lead)
    if url:
        return _("To receive no more of these emails, open %(url)s or reply “unsubscribe”.") % {
            "url": url
        }
    return _("To receive no more of these emails, reply “unsubscribe”.")


def _log_on_timeline(
    lead: Lead, kind: str, subject: str, body: str, when: datetime, direction: str = ""
) -> Note:
    """A timeline entry written by the sequence itself (no user), with its change-log entry
    and ``note.created`` event, as ``core.services.add_note`` writes a user's."""
    note = Note(
        content_type=ContentType.objects.get_for_model(Lead),
        object_id=lead.pk,
        kind=kind,
        direction=direction,
        subject=subject[:200],
        body=body,
        occurred_at=when,
    )
    note.full_clean()
    note.save(force_insert=True)
    changelog.log_change(
        None, note, ChangeAction.CREATE, changelog.created_changes(note), parent=lead
    )
    events.emit("note.created", note, None, target_type="lead", target_id=lead.pk)
    lead.touch_activity(when)
    return note


def _send_email(enrollment: Enrollment, lead: Lead, step: SequenceStep, now: datetime) -> bool:
    """Email the step to the lead (never to one that opted out); False when not sent."""
    if lead.opted_out or not lead.email:
        return False
    with translation.override(lead_language(lead)):
        subject = fill_placeholders(step.subject, lead).replace("\n", " ").strip()
        body = fill_placeholders(step.body, lead).rstrip()
        text = f"{body}\n\n--\n{_footer(lead)}\n"
        owner_email = lead.owner.email if lead.owner and lead.owner.email else ""
        message = EmailMessage(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[lead.email],
            reply_to=[owner_email] if owner_email else None,
            headers={"X-Guanxi-Sequence": str(enrollment.sequence_id)},
        )
        url = unsubscribe_url(lead)
        if url:
            message.extra_headers["List-Unsubscribe"] = f"<{url}>"
        message.send()
    # The timeline is read by the lead's owner: the note's own line is in their language.
    with translation.override(_reader_language(lead)):
        note_body = f"{body}\n\n" + _(
            "Sent by the nurturing sequence “%(sequence)s” to %(email)s."
        ) % {"sequence": enrollment.sequence.name, "email": lead.email}
    _log_on_timeline(lead, Note.Kind.EMAIL, subject, note_body, now, Note.Direction.OUTBOUND)
    return True


def _create_task(enrollment: Enrollment, lead: Lead, step: SequenceStep, now: datetime) -> Any:
    """An activity (task) for the lead's owner; a timeline note when activities are not
    installed or the owner may not create one."""
    subject = fill_placeholders(step.subject or step.body.splitlines()[0], lead)[:200]
    body = fill_placeholders(step.body, lead)
    assignee = lead.owner or enrollment.enrolled_by
    if apps.is_installed("guanxi.activities") and assignee is not None and assignee.is_active:
        from guanxi.activities.services import create_activity

        try:
            with transaction.atomic():
                return create_activity(
                    assignee,
                    {
                        "kind": "task",
                        "subject": subject,
                        "description": body,
                        "due_at": now + timedelta(days=1),
                        "related": lead,
                    },
                )
        except (PermissionDenied, ValidationError):
            logger.info("nurturing task for lead %s written as a note", lead.pk, exc_info=True)
    with translation.override(_reader_language(lead)):
        line = _("Task from the nurturing sequence “%(sequence)s”.") % {
            "sequence": enrollment.sequence.name
        }
    return _log_on_timeline(lead, Note.Kind.NOTE, subject, f"{body or subject}\n\n{line}", now)


def _stop(enrollment: Enrollment, reason: str) -> None:
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=Enrollment.Status.STOPPED, stop_reason=reason
    )


def _run_one_step(enrollment_id: int, now: datetime) -> tuple[str | None, str]:
    """Execute the due step of one enrolment and schedule the next, in one transaction.

    Returns the kind of step done (None when none was) and the enrolment's status after it;
    a status of "" means nothing was due.
    """
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_for_update()
            .filter(pk=enrollment_id, status=Enrollment.Status.ACTIVE, next_run_at__lte=now)
            .first()
        )
        if enrollment is None:
            return None, ""
        sequence = NurturingSequence.objects.get(pk=enrollment.sequence_id)
        if not sequence.is_active:  # paused: resumes when the sequence is active again
            return None, ""
        enrollment.sequence = sequence
        lead = Lead.all_objects.select_related("owner").get(pk=enrollment.lead_id)
        reason = "deleted" if lead.deleted_at else _skip_reason(lead)
        if reason:
            _stop(enrollment, reason)
            return "stopped"
        steps = list(sequence.steps.order_by("order", "pk"))
        if enrollment.next_step >= len(steps):
            Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.COMPLETED)
            return "completed"
        step = steps[enrollment.next_step]
        if step.kind == SequenceStep.Kind.EMAIL:
            _send_email(enrollment, lead, step, now)
        elif step.kind == SequenceStep.Kind.TASK:
            _create_task(enrollment, lead, step, now)
        # a wait step only lets time pass: its days were waited before it became due
        next_step = enrollment.next_step + 1
        fields: dict[str, Any] = {"next_step": next_step, "status": Enrollment.Status.ACTIVE}
        if next_step >= len(steps):
            fields["status"] = Enrollment.Status.COMPLETED
        else:
            fields["next_run_at"] = now + timedelta(days=steps[next_step].wait_days)
        Enrollment.objects.filter(pk=enrollment.pk).update(**fields)
        return str(step.kind), fields["status"]


def run_enrollments(enrollment_ids: Sequence[int], now: datetime | None = None) -> dict[str, int]:
    """Run every step that is due for these enrolments (several, when waits are over)."""
    now = now or timezone.now()
    done: dict[str, int] = {"email": 0, "task": 0, "wait": 0, "completed": 0, "stopped": 0}
    for enrollment_id in enrollment_ids:
        for _guard in range(MAX_STEPS + 1):
            try:
                kind, status = _run_one_step(enrollment_id, now)
            except Exception:  # one broken enrolment (mail server down) must not stop the rest
                logger.exception("nurturing enrolment %s failed; retried next run", enrollment_id)
                break
            if kind:
                done[kind] += 1
            if status != Enrollment.Status.ACTIVE:
                if status:
                    done[status] += 1
                break
    return done


def run_due_enrollments(now: datetime | None = None, limit: int = 5000) -> dict[str, int]:
    """The scheduled job: run the due steps of active enrolments in active sequences."""
    now = now or timezone.now()
    due = list(
        Enrollment.objects.filter(
            status=Enrollment.Status.ACTIVE, next_run_at__lte=now, sequence__is_active=True
        )
        .order_by("next_run_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = run_enrollments(due, now)
    done["due"] = len(due)
    return done


def next_step_of(enrollment: Enrollment) -> SequenceStep | None:
    """The step an active enrolment does next (for pages)."""
    if enrollment.status != Enrollment.Status.ACTIVE:
        return None
    steps = list(enrollment.sequence.steps.all())
    steps.sort(key=lambda s: (s.order, s.pk))
    return steps[enrollment.next_step] if enrollment.next_step < len(steps) else None
