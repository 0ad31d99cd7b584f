"""Read-only admin of messages: recipients masked in the list, "send again" for failed ones."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from skranke.access.admin_scope import ForStaffOfEveryCentre
from skranke.messaging.models import Message
from skranke.messaging.services import resend_message


@admin.register(Message)
class MessageAdmin(ForStaffOfEveryCentre):
    list_display = [
        "id",
        "channel",
        "masked_recipient",
        "subject_summary",
        "status",
        "attempts",
        "language",
        "created_at",
        "sent_at",
        "purged_at",
    ]
    list_filter = ["status", "channel", "language"]
    date_hierarchy = "created_at"
    actions = ["send_again"]
    # The list masks recipients; the detail page shows the whole message to someone checking
    # whether a failed one arrived before sending it again.
    fields = [
        "channel",
        "recipient",
        "subject",
        "body",
        "language",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
        "purge_after",
        "purged_at",
    ]

    @admin.display(description=_("recipient"))
    def masked_recipient(self, message: Message) -> str:
        return message.masked_recipient

    @admin.display(description=_("subject"))
    def subject_summary(self, message: Message) -> str:
        return Truncator(message.subject).chars(60)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("messaging.change_message")

    @admin.action(description=_("Send again (failed messages only)"), permissions=["resend"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        selected = list(queryset.values_list("id", flat=True))
        resent = sum(resend_message(message_id) for message_id in selected)
        if resent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message will be sent again.",
                    "%(count)d messages will be sent again.",
                    resent,
                )
                % {"count": resent},
                messages.SUCCESS,
            )
        if skipped := len(selected) - resent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was not failed, or its data was deleted; left alone.",
                    "%(count)d messages were not failed, or their data was deleted; left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
