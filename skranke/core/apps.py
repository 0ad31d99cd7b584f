from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "skranke.core"
    verbose_name = _("Skranke")

    def ready(self) -> None:
        from django.contrib import admin

        admin.site.site_header = _("Skranke administration")
        admin.site.site_title = _("Skranke")
        admin.site.index_title = _("Set up the citizen service")
