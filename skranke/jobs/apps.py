from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "skranke.jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        # Each app registers its job handlers in its own jobs.py (skranke.jobs.registry);
        # importing them here means web processes can enqueue and workers can run every kind.
        autodiscover_modules("jobs")
