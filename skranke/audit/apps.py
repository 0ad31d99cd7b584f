from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "skranke.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from auditlog.models import LogEntry
        from django.apps import apps
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_migrate, post_save, pre_save

        from skranke.access.ratelimit import check_rate_limit_settings
        from skranke.audit import receivers
        from skranke.audit.registry import register_configuration_models
        from skranke.audit.services import refuse_cpr_in_entry

        # This app owns the settings block for audit, lockout, sessions and rate limits; the
        # rate cannot be checked in settings.py itself (see check_rate_limit_settings).
        check_rate_limit_settings()
        register_configuration_models()
        pre_save.connect(
            receivers.fill_from_request, sender=LogEntry, dispatch_uid="skranke-audit-request"
        )
        pre_save.connect(refuse_cpr_in_entry, sender=LogEntry, dispatch_uid="skranke-audit-cpr")
        post_save.connect(
            receivers.record_password_change,
            sender=get_user_model(),
            dispatch_uid="skranke-audit-password",
        )
        # Sent once per migrate for auditlog (an app with models; this one has none of its own).
        post_migrate.connect(
            receivers.create_cache_table,
            sender=apps.get_app_config("auditlog"),
            dispatch_uid="skranke-audit-cache-table",
        )
