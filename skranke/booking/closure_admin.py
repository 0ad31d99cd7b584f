"""Unplanned closures in the admin: the future bookings a change of opening hours hits are listed
before it is saved, and cancelled, with a message to their citizens, when it is.

ClosurePreviewAdmin goes on every admin that edits what decides a centre's attendance hours (the
centre with its weekly hours and dated exceptions, and the exceptions' own admin). It works the
same for adding, changing and deleting, through the admin's own save and delete hooks:

1. Just before the change is written (save_model, delete_model, delete_queryset) it notes the
   bookings already outside the hours of the centres concerned (skranke.booking.services
   .bookings_hit); right after (save_related, or the delete) it asks again. The bookings hit by
   this change are those outside now and not before, so an edit that leaves the hours as they
   were, or widens them, hits none and saves as it always did.
2. When some are hit and the request does not carry their fingerprint (the confirmation field),
   ClosureNotConfirmed rolls back the transaction Django's admin view opened, so nothing is
   saved, and the page is shown again: the change form with what was typed (its form refuses
   to save while the preview is shown), or the delete confirmation, with the list of bookings
   and the fingerprint in a hidden field.
3. Submitted again with the same fingerprint, the change is saved and the bookings are cancelled
   and their citizens notified (cancel_for_closure) in the same transaction. If the bookings hit
   changed meanwhile, the fingerprint no longer matches and the list is shown again.

Step 1 first locks the centres concerned (skranke.booking.services.centre_lock), in the
admin's transaction, so a booking made at the same moment either commits before the bookings
are read (and is hit like the others) or waits and is refused by the new hours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from skranke.access.admin_scope import CENTRE_PATHS
from skranke.booking.models import Appointment
from skranke.booking.pages.common import site_url
from skranke.booking.services import bookings_hit, cancel_for_closure
from skranke.booking.services.centre_lock import lock_centres
from skranke.organisation.models import Location

CONFIRM_FIELD = "_closure_confirm"
PREVIEW_ERROR_CODE = "closure_preview"
_CHANGE_ATTRIBUTE = "_skranke_closure_change"
_PREVIEW_ATTRIBUTE = "_skranke_closure_preview"


def fingerprint(appointments: Iterable[Appointment]) -> str:
    """Return a short digest of which appointments are hit, to confirm exactly that set."""
    ids = ",".join(str(pk) for pk in sorted(appointment.pk for appointment in appointments))
    return hashlib.sha256(ids.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class ClosurePreview:
    """The bookings a change would cancel, as the page lists them."""

    appointments: list[Appointment]
    # "save" or "delete": which button confirms.
    action: str = "save"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.appointments)

    @property
    def count(self) -> int:
        return len(self.appointments)

    @property
    def several_centres(self) -> bool:
        return len({appointment.location_id for appointment in self.appointments}) > 1


class ClosureNotConfirmed(Exception):
    """Raised inside the admin's transaction to undo a change whose bookings hit were not
    confirmed; the view catches it and shows the preview."""

    def __init__(self, preview: ClosurePreview) -> None:
        super().__init__("closure not confirmed")
        self.preview = preview


@dataclass
class _Change:
    """One change of hours in progress within a request."""

    location_ids: set[int]
    now: dt.datetime
    outside_before: set[int]
    notified: int = 0


def _outside(location_ids: set[int], now: dt.datetime) -> dict[int, Appointment]:
    """Return the future bookings outside the hours of the centres ``location_ids``, by id."""
    outside: dict[int, Appointment] = {}
    for location in Location.objects.filter(pk__in=location_ids).order_by("pk"):
        outside.update((booking.pk, booking) for booking in bookings_hit(location, now=now))
    return outside


def _hit_since(
    outside_before: set[int], location_ids: set[int], now: dt.datetime
) -> list[Appointment]:
    """Return the bookings outside the hours now that were not before, in order of time."""
    outside = _outside(location_ids, now)
    hit = [booking for pk, booking in outside.items() if pk not in outside_before]
    return sorted(hit, key=lambda booking: (booking.starts_at, booking.pk))


class _HeldForPreview(forms.BaseForm):
    """Mixed into the admin's form while the preview is shown, so the form is shown, not saved."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        raise ValidationError(
            _("Confirm the bookings cancelled by this change before it is saved."),
            code=PREVIEW_ERROR_CODE,
        )


def _only_the_preview_error(context: dict[str, Any]) -> bool:
    form = context["adminform"].form
    own = form.errors.as_data().get(NON_FIELD_ERRORS, [])
    return (
        len(context["errors"]) == 1
        and list(form.errors) == [NON_FIELD_ERRORS]
        and [error.code for error in own] == [PREVIEW_ERROR_CODE]
    )


class ClosurePreviewAdmin(admin.ModelAdmin):
    """Lists the bookings a change of opening hours hits before saving; cancels them with a
    message to their citizens on saving. For admins of models in CENTRE_PATHS that are the
    centre itself or one step from it (``location``)."""

    change_form_template = "admin/booking/closure_change_form.html"
    delete_confirmation_template = "admin/booking/closure_delete_confirmation.html"
    delete_selected_confirmation_template = "admin/booking/closure_delete_selected.html"
    # False where deleting cannot hit a booking (a centre with bookings cannot be deleted).
    closure_preview_on_delete = True

    # Which centres a change concerns ---------------------------------------------------------

    def closure_location_ids(self, objs: Iterable[models.Model]) -> set[int]:
        """Return the ids of the centres whose hours saving or deleting ``objs`` changes: the
        centres they belong to in the database and, for objects being saved, as edited."""
        path = CENTRE_PATHS[self.model._meta.label]
        attribute = "pk" if path == "pk" else f"{path}_id"
        objs = list(objs)
        ids = {getattr(obj, attribute) for obj in objs} - {None}
        stored = self.model._default_manager.filter(pk__in=[obj.pk for obj in objs if obj.pk])
        ids.update(stored.values_list(path, flat=True))
        return ids

    # The change in progress -----------------------------------------------------------------

    def _begin(self, request: HttpRequest, objs: Iterable[models.Model]) -> None:
        ids = self.closure_location_ids(objs)
        # The centres' locks before anything is read or saved, held until the admin's
        # transaction commits: a booking at these centres waits for this change and then
        # checks its time against the new hours (skranke.booking.services.centre_lock).
        lock_centres(ids)
        now = timezone.now()
        setattr(request, _CHANGE_ATTRIBUTE, _Change(ids, now, set(_outside(ids, now))))

    def _settle(self, request: HttpRequest, action: str) -> None:
        """Cancel the bookings this change hit, if the request confirmed exactly those; raise
        ClosureNotConfirmed otherwise."""
        change: _Change = getattr(request, _CHANGE_ATTRIBUTE)
        hit = _hit_since(change.outside_before, change.location_ids, change.now)
        if not hit:
            return
        preview = ClosurePreview(hit, action)
        if request.POST.get(CONFIRM_FIELD) != preview.fingerprint:
            raise ClosureNotConfirmed(preview)
        cancelled = cancel_for_closure(
            hit, staff=request.user, now=change.now, site_url=site_url(request)
        )
        change.notified = len(cancelled)

    def tell_notified(self, request: HttpRequest) -> None:
        """Add to the success messages how many bookings this request cancelled, if any."""
        change: _Change | None = getattr(request, _CHANGE_ATTRIBUTE, None)
        if change is None or not change.notified:
            return
        self.message_user(
            request,
            ngettext(
                "%(count)d booking was cancelled and its citizen sent a message with a link to "
                "choose a new time.",
                "%(count)d bookings were cancelled and their citizens sent a message with a link "
                "to choose a new time.",
                change.notified,
            )
            % {"count": change.notified},
            messages.SUCCESS,
        )

    def dry_run(
        self, objs: list[models.Model], change: Callable[[], None], action: str
    ) -> ClosurePreview | None:
        """Return what ``change`` would hit, having made and undone it; None when nothing."""
        ids = self.closure_location_ids(objs)
        now = timezone.now()
        with transaction.atomic(using=router.db_for_write(self.model)):
            before = set(_outside(ids, now))
            change()
            hit = _hit_since(before, ids, now)
            transaction.set_rollback(True)
        return ClosurePreview(hit, action) if hit else None

    # Adding and changing ---------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        self._begin(request, [obj])
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        self._settle(request, "save")

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ClosureNotConfirmed as refused:
            # Django's view rolled the save back on the way out; show the form again with the
            # preview, its form holding back the save.
            setattr(request, _PREVIEW_ATTRIBUTE, refused.preview)
            setattr(request, _CHANGE_ATTRIBUTE, None)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if getattr(request, _PREVIEW_ATTRIBUTE, None) is not None:
            base = kwargs.get("form", self.form)
            kwargs["form"] = type(base.__name__, (_HeldForPreview, base), {})
        return super().get_form(request, obj, change, **kwargs)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        preview = getattr(request, _PREVIEW_ATTRIBUTE, None)
        if preview is not None and _only_the_preview_error(context):
            # The preview is not an error to correct: the page shows it in place of the note.
            context.update(errors=[], closure_preview=preview)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_add(self, request: HttpRequest, obj: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().response_add(request, obj, *args, **kwargs)
        self.tell_notified(request)
        return response

    def response_change(self, request: HttpRequest, obj: Any) -> Any:
        response = super().response_change(request, obj)
        self.tell_notified(request)
        return response

    # Deleting one ----------------------------------------------------------------------------

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        if not self.closure_preview_on_delete:
            super().delete_model(request, obj)
            return
        self._begin(request, [obj])
        super().delete_model(request, obj)
        self._settle(request, "delete")

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> Any:
        try:
            response = super().delete_view(request, object_id, extra_context)
        except ClosureNotConfirmed:
            # The bookings hit changed since the page was shown: show it again, nothing deleted.
            request.POST = QueryDict()
            response = super().delete_view(request, object_id, extra_context)
        if isinstance(response, TemplateResponse) and self.may_preview_deleting(response):
            assert response.context_data is not None
            obj = response.context_data["object"]
            response.context_data["closure_preview"] = self.dry_run(
                [obj], lambda: super(ClosurePreviewAdmin, self).delete_model(request, obj), "delete"
            )
        return response

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> Any:
        response = super().response_delete(request, obj_display, obj_id)
        self.tell_notified(request)
        return response

    def may_preview_deleting(self, response: TemplateResponse) -> bool:
        """Return True when the delete page ``response`` asks to confirm a deletion that may
        hit bookings (not one refused for protected rows or missing permissions)."""
        context = response.context_data or {}
        return self.closure_preview_on_delete and not (
            context.get("protected") or context.get("perms_lacking")
        )

    # Deleting several ------------------------------------------------------------------------

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        if not self.closure_preview_on_delete:
            super().delete_queryset(request, queryset)
            return
        self._begin(request, list(queryset))
        super().delete_queryset(request, queryset)
        self._settle(request, "delete")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)
        if self.closure_preview_on_delete and actions.get("delete_selected"):
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_after_preview, name, description)
        return actions


def delete_selected_after_preview(
    modeladmin: ClosurePreviewAdmin, request: HttpRequest, queryset: Any
) -> Any:
    """Django's "delete selected" action, with the bookings hit on its confirmation page and
    cancelled with the deletion, in one transaction."""
    try:
        with transaction.atomic(using=router.db_for_write(modeladmin.model)):
            response = delete_selected(modeladmin, request, queryset)
    except ClosureNotConfirmed:
        # The bookings hit changed since the page was shown: show it again, nothing deleted.
        shown_again = request.POST.copy()
        shown_again.pop("post", None)
        request.POST = QueryDict(shown_again.urlencode())
        response = delete_selected(modeladmin, request, queryset)
    if response is None:
        modeladmin.tell_notified(request)
        return None
    if isinstance(response, TemplateResponse) and modeladmin.may_preview_deleting(response):
        assert response.context_data is not None
        objs = list(queryset)
        response.context_data["closure_preview"] = modeladmin.dry_run(
            objs,
            lambda: super(ClosurePreviewAdmin, modeladmin).delete_queryset(request, queryset),
            "delete",
        )
    return response


delete_selected_after_preview.allowed_permissions = ("delete",)  # type: ignore[attr-defined]
