from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataIoConfig(AppConfig):
    name = "guanxi.dataio"
    label = "dataio"
    verbose_name = _("Import and export")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each domain app declares what it can import and export in its ``dataio.py``.
        autodiscover_modules("dataio")
