"""Admin for device accounts (pairing links, revoking) and API tokens (shown once).

Both follow the signed-in administrator's centre limits (skranke.access.admin_scope): devices by
their centre, tokens by their owner, who must work at none but the administrator's centres.
"""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from skranke.access.admin_scope import CentreScopedAdmin, admin_centre_ids, rows_at_centres
from skranke.access.models import ApiToken, DeviceAccount
from skranke.access.permissions import Capability, user_has_capability
from skranke.access.services import (
    create_api_token,
    new_pairing_token,
    revoke_api_token,
    revoke_device,
)
from skranke.audit.services import record_action


class ManageDevicesOnly(admin.ModelAdmin):
    """Only staff who may manage devices and tokens see these pages at all."""

    def _allowed(self, request: HttpRequest) -> bool:
        return user_has_capability(request.user, Capability.MANAGE_DEVICES)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)


def pairing_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("access:pair", args=[token]))


@admin.register(DeviceAccount)
class DeviceAccountAdmin(CentreScopedAdmin, ManageDevicesOnly):
    list_display = ["name", "location", "purpose", "status", "last_seen_at"]
    list_filter = ["location", "purpose"]
    search_fields = ["name"]
    fields = ["location", "purpose", "name", "counter", "paired_at", "last_seen_at", "revoked_at"]
    readonly_fields = ["paired_at", "last_seen_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("status"))
    def status(self, device: DeviceAccount) -> str:
        if device.revoked_at:
            return str(_("revoked"))
        if device.is_active:
            return str(_("paired"))
        return str(_("waiting for pairing"))

    @admin.action(description=_("Revoke the selected devices"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[DeviceAccount]) -> None:
        count = 0
        for device in queryset:
            if revoke_device(device):
                record_action(request.user, "device_revoked", device)
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d device revoked.", "%(count)d devices revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def get_urls(self) -> list[URLPattern]:
        pairing = path(
            "<int:device_id>/pairing/",
            self.admin_site.admin_view(self.pairing_view),
            name="access_deviceaccount_pairing",
        )
        return [pairing, *super().get_urls()]

    def response_add(
        self, request: HttpRequest, obj: DeviceAccount, post_url_continue: str | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:access_deviceaccount_pairing", args=[obj.pk]))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {
            "pairing_url": reverse("admin:access_deviceaccount_pairing", args=[object_id]),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def pairing_view(self, request: HttpRequest, device_id: int) -> HttpResponse:
        """GET shows the device; POST makes a new one-time pairing link and its QR code."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        device = self.get_object(request, str(device_id))
        if device is None:
            raise Http404
        if not self.has_change_permission(request, device):
            raise PermissionDenied
        link = qr_code = None
        if request.method == "POST" and device.revoked_at is None:
            link = pairing_url(request, new_pairing_token(device))
            record_action(request.user, "device_pairing_link_created", device)
            qr_code = segno.make(link, error="m").svg_data_uri(scale=6, border=2)
        context = {
            **self.admin_site.each_context(request),
            "opts": DeviceAccount._meta,
            "title": _("Pair %(device)s") % {"device": device.name},
            "device": device,
            "pairing_link": link,
            "qr_code": qr_code,
            "hours": settings.SKRANKE_DEVICE_PAIRING_HOURS,
        }
        return TemplateResponse(request, "admin/access/pairing.html", context)


@admin.register(ApiToken)
class ApiTokenAdmin(CentreScopedAdmin, ManageDevicesOnly):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def centre_scope(self, request: HttpRequest) -> Q | None:
        # A token acts as its owner everywhere the owner works, so a centre-limited
        # administrator handles only the tokens of staff who work at none but their centres.
        centre_ids = admin_centre_ids(request)
        if centre_ids is None:
            return None
        return rows_at_centres(self.model, centre_ids, staff_only_there=True)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A token cannot be moved to another person once issued.
        return [*self.readonly_fields, "user"] if obj else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, secret = create_api_token(obj.user, obj.name)
        obj.pk, obj.prefix, obj.token_hash = token.pk, token.prefix, token.token_hash
        # Kept on the instance only, to show once in response_add; never stored.
        obj._secret = secret  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": ApiToken._meta,
            "title": _("New API token"),
            "token": obj,
            "secret": obj._secret,  # type: ignore[attr-defined]
        }
        return TemplateResponse(request, "admin/access/new_token.html", context)

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset:
            if revoke_api_token(token):
                record_action(request.user, "api_token_revoked", token)
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
