"""The scheduled escalation (Celery beat task and management command) and the re-score job."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from guanxi.core.models import Notification
from guanxi.leads import services, tasks
from guanxi.leads.models import AssignmentRule, Lead

pytestmark = pytest.mark.django_db


def overdue_lead(org):
    AssignmentRule.objects.create(name="East", team=org.east, contact_within_hours=4)
    lead = services.create_lead(None, {"person_name": "Late"})
    Lead.objects.filter(pk=lead.pk).update(assigned_at=timezone.now() - timedelta(hours=5))
    return lead


def test_escalation_command_gives_overdue_leads_to_the_manager_and_tells_them(org):
    lead = overdue_lead(org)
    out = StringIO()

    call_command("escalate_leads", stdout=out)

    lead.refresh_from_db()
    assert lead.owner == org.east_manager
    assert "Escalated 1 leads" in out.getvalue()
    note = Notification.objects.get(user=org.east_manager)
    assert "not contacted within 4 hours" in note.text
    assert f"owner={org.east_manager.pk}" in note.url


def test_escalation_task_is_scheduled_and_runs_the_service(org):
    lead = overdue_lead(org)

    done = tasks.escalate_overdue_leads()

    assert done == {"escalated": 1, "requeued": 0}
    assert Lead.objects.get(pk=lead.pk).owner == org.east_manager
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "guanxi.leads.tasks.escalate_overdue_leads" in schedule
