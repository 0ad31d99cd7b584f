"""The admin app with Skranke's admin site (skranke.core.admin_site), set as Django documents:
an AdminConfig whose ``default_site`` names it. Kept apart from the site, which imports models,
because app configs are imported before the models are ready."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class SkrankeAdminConfig(AdminConfig):
    default_site = "skranke.core.admin_site.SkrankeAdminSite"
