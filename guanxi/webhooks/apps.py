from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "guanxi.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from guanxi.core import events

        from . import delivery

        # Called after the commit of the transaction that emitted the event (core.events).
        events.subscribe("*", delivery.on_event)
