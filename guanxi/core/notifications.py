"""In-app notifications, optionally also sent by email."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from .models import Notification


def notify(user: Any, text: str, *, url: str = "", email: bool = False) -> Notification | None:
    """Tell ``user`` something in the app and, with ``email``, by mail after the commit."""
    if user is None or not user.is_active:
        return None
    note = Notification.objects.create(user=user, text=str(text)[:500], url=url)
    if email and user.email:
        subject = str(text)[:120]

        def send() -> None:
            with translation.override(user.language):
                send_mail(
                    subject,
                    f"{text}\n\n{url}",
                    settings.DEFAULT_FROM_EMAIL,
                    [user.email],
                    fail_silently=True,
                )

        transaction.on_commit(send)
    return note


def mark_read(user: Any, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
