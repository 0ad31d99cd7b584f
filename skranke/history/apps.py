from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    name = "skranke.history"
    label = "history"
    verbose_name = _("History import and export")
