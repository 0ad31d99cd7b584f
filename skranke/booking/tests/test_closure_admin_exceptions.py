"""Unplanned closures on the dated exceptions' own admin pages: adding, changing, deleting one and
deleting several list the bookings hit first and cancel them with a message once confirmed (the
world is described in closure_scene.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from skranke.booking.closure_admin import CONFIRM_FIELD
from skranke.booking.models import Appointment, AppointmentStatus, CancelReason
from skranke.booking.tests.closure_scene import (
    DAY,
    NEXT_SATURDAY,
    NOW,
    SATURDAY,
    Scene,
    book_at,
    clock,
    make_scene,
    open_on,
    places_taken,
)
from skranke.messaging.models import Channel
from skranke.organisation.models import HoursKind, Location, OpeningException
from skranke.queue.tests.factories import make_staff, make_staff_client

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:organisation_openingexception_add")
LIST_URL = reverse("admin:organisation_openingexception_changelist")


@pytest.fixture(autouse=True)
def _clock_and_language(admin_client: Client, settings: Any) -> Iterator[None]:
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scene() -> Scene:
    return make_scene()


def change_url(exception: OpeningException) -> str:
    return reverse("admin:organisation_openingexception_change", args=[exception.pk])


def delete_url(exception: OpeningException) -> str:
    return reverse("admin:organisation_openingexception_delete", args=[exception.pk])


def exception_form(location: Location, opens: str = "", closes: str = "") -> dict[str, str]:
    return {
        "location": str(location.pk),
        "date": DAY.isoformat(),
        "kind": HoursKind.ATTENDANCE,
        "opens": opens,
        "closes": closes,
        "reason": "Personalemøde",
    }


def previewed(response: HttpResponse) -> list[str]:
    """Return the codes the page lists, having checked it carries their confirmation."""
    assert response.status_code == 200
    preview = response.context["closure_preview"]
    html = response.content.decode()
    assert f'name="{CONFIRM_FIELD}" value="{preview.fingerprint}"' in html
    for appointment in preview.appointments:
        assert appointment.display_code in html
    return [appointment.code for appointment in preview.appointments]


def confirmation(response: HttpResponse) -> dict[str, str]:
    return {CONFIRM_FIELD: response.context["closure_preview"].fingerprint}


def codes(*appointments: Appointment) -> list[str]:
    return [appointment.code for appointment in appointments]


def status(appointment: Appointment) -> str:
    return Appointment.objects.get(pk=appointment.pk).status


def cancelled_for_closure(appointment: Appointment) -> bool:
    appointment.refresh_from_db()
    messages = appointment.messages.values_list("channel", flat=True)
    return (
        appointment.status == AppointmentStatus.CANCELLED
        and appointment.cancel_reason == CancelReason.CLOSURE
        and set(messages) == {Channel.SMS, Channel.EMAIL}
        and places_taken(appointment) == 0
    )


def shown_messages(response: HttpResponse) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# Adding -------------------------------------------------------------------------------------


def test_adding_a_closed_day_lists_its_bookings_and_saves_nothing(
    admin_client: Client, scene: Scene
) -> None:
    response = admin_client.post(ADD_URL, exception_form(scene.location))

    assert previewed(response) == codes(scene.inside, scene.edge, scene.after_two)
    assert not OpeningException.objects.exists()
    assert status(scene.inside) == AppointmentStatus.BOOKED
    # The form shows what was typed, ready to be saved.
    assert 'value="Personalemøde"' in response.content.decode()


def test_confirming_a_closed_day_saves_it_and_cancels_its_bookings(
    admin_client: Client, scene: Scene
) -> None:
    data = exception_form(scene.location)
    preview = admin_client.post(ADD_URL, data)

    response = admin_client.post(ADD_URL, data | confirmation(preview), follow=True)

    assert response.redirect_chain[-1][0] == LIST_URL
    assert OpeningException.objects.get().date == DAY
    assert all(cancelled_for_closure(hit) for hit in (scene.inside, scene.edge, scene.after_two))
    for untouched in (scene.next_tuesday, scene.other_centre, scene.christmas_eve, scene.past):
        assert status(untouched) == AppointmentStatus.BOOKED
    assert (
        "3 bookings were cancelled and their citizens sent a message with a link to choose a "
        "new time." in shown_messages(response)
    )


def test_adding_a_day_with_longer_hours_saves_at_once(admin_client: Client, scene: Scene) -> None:
    response = admin_client.post(ADD_URL, exception_form(scene.location, "08:00", "18:00"))

    assert response.status_code == 302
    assert OpeningException.objects.get().closes == clock("18:00")


def test_closing_a_day_at_another_centre_lists_only_its_bookings(
    admin_client: Client, scene: Scene
) -> None:
    response = admin_client.post(ADD_URL, exception_form(scene.other.location))

    assert previewed(response) == codes(scene.other_centre)


# Changing -----------------------------------------------------------------------------------


def test_changing_a_day_to_close_earlier_lists_the_bookings_after(
    admin_client: Client, scene: Scene
) -> None:
    exception = open_on(scene.location, DAY, "09:00", "15:00")
    data = exception_form(scene.location, "09:00", "14:00")

    response = admin_client.post(change_url(exception), data)

    assert previewed(response) == codes(scene.after_two)
    assert OpeningException.objects.get().closes == clock("15:00")

    assert (
        admin_client.post(change_url(exception), data | confirmation(response)).status_code == 302
    )
    assert OpeningException.objects.get().closes == clock("14:00")
    assert cancelled_for_closure(scene.after_two)
    assert status(scene.edge) == AppointmentStatus.BOOKED


def test_moving_a_day_to_another_centre_looks_at_both(admin_client: Client, scene: Scene) -> None:
    # The centre loses its day of 9-14 (its weekly 9-15 apply again); the other centre gets it.
    exception = open_on(scene.location, DAY, "09:00", "14:00")

    response = admin_client.post(
        change_url(exception), exception_form(scene.other.location, "09:00", "14:00")
    )

    assert previewed(response) == codes(scene.other_centre)


def test_an_unchanged_day_saves_at_once(admin_client: Client, scene: Scene) -> None:
    exception = open_on(scene.location, DAY, "09:00", "14:00")

    response = admin_client.post(
        change_url(exception), exception_form(scene.location, "09:00", "14:00")
    )

    # The booking at 14:00 was outside the day's hours already: this change does not hit it.
    assert response.status_code == 302
    assert status(scene.after_two) == AppointmentStatus.BOOKED


# Deleting one -------------------------------------------------------------------------------


@pytest.fixture
def saturdays(scene: Scene) -> tuple[list[OpeningException], list[Appointment]]:
    """Two Saturdays the centre opens 10-13, with a booking on each."""
    days = [
        open_on(scene.location, SATURDAY, "10:00", "13:00"),
        open_on(scene.location, NEXT_SATURDAY, "10:00", "13:00"),
    ]
    bookings = [book_at(scene.booking, SATURDAY, 11), book_at(scene.booking, NEXT_SATURDAY, 10)]
    return days, bookings


def test_the_delete_page_lists_the_bookings_deleting_hits(
    admin_client: Client, saturdays: tuple[list[OpeningException], list[Appointment]]
) -> None:
    (first, _second), (booking, _other) = saturdays

    response = admin_client.get(delete_url(first))

    assert previewed(response) == codes(booking)
    # Showing the page deleted nothing.
    assert OpeningException.objects.filter(pk=first.pk).exists()
    assert status(booking) == AppointmentStatus.BOOKED


def test_deleting_one_cancels_and_notifies_its_bookings(
    admin_client: Client, saturdays: tuple[list[OpeningException], list[Appointment]]
) -> None:
    (first, _second), (booking, other) = saturdays
    page = admin_client.get(delete_url(first))

    response = admin_client.post(
        delete_url(first), {"post": "yes"} | confirmation(page), follow=True
    )

    assert response.redirect_chain[-1][0] == LIST_URL
    assert not OpeningException.objects.filter(pk=first.pk).exists()
    assert cancelled_for_closure(booking)
    assert status(other) == AppointmentStatus.BOOKED
    assert (
        "1 booking was cancelled and its citizen sent a message with a link to choose a new time."
        in shown_messages(response)
    )


def test_deleting_without_confirming_the_bookings_hit_shows_them_again(
    admin_client: Client, saturdays: tuple[list[OpeningException], list[Appointment]]
) -> None:
    (first, _second), (booking, _other) = saturdays

    response = admin_client.post(delete_url(first), {"post": "yes"})

    assert previewed(response) == codes(booking)
    assert OpeningException.objects.filter(pk=first.pk).exists()
    assert status(booking) == AppointmentStatus.BOOKED


def test_deleting_a_closed_day_hits_nothing(admin_client: Client, scene: Scene) -> None:
    closed = OpeningException.objects.create(location=scene.location, date=SATURDAY)

    page = admin_client.get(delete_url(closed))
    assert page.context["closure_preview"] is None
    response = admin_client.post(delete_url(closed), {"post": "yes"})

    assert response.status_code == 302
    assert not OpeningException.objects.exists()


# Deleting several ---------------------------------------------------------------------------


def bulk_delete(
    days: list[OpeningException], confirmed: bool = False, **extra: str
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": "delete_selected",
        ACTION_CHECKBOX_NAME: [str(day.pk) for day in days],
    }
    if confirmed:
        data["post"] = "yes"
    return data | extra


def test_the_bulk_delete_page_lists_the_bookings_hit(
    admin_client: Client, saturdays: tuple[list[OpeningException], list[Appointment]]
) -> None:
    days, bookings = saturdays

    response = admin_client.post(LIST_URL, bulk_delete(days))

    assert previewed(response) == codes(*bookings)
    assert OpeningException.objects.count() == 2


def test_bulk_deleting_cancels_and_notifies_the_bookings_hit(
    admin_client: Client, saturdays: tuple[list[OpeningException], list[Appointment]]
) -> None:
    days, bookings = saturdays
    page = admin_client.post(LIST_URL, bulk_delete(days))

    response = admin_client.post(
        LIST_URL, bulk_delete(days, confirmed=True, **confirmation(page)), follow=True
    )

    assert not OpeningException.objects.exists()
    assert all(cancelled_for_closure(booking) for booking in bookings)
    shown = shown_messages(response)
    assert any("Successfully deleted 2" in message for message in shown)
    assert (
        "2 bookings were cancelled and their citizens sent a message with a link to choose a "
        "new time." in shown
    )


def test_bulk_deleting_without_confirming_shows_the_bookings_again(
    admin_client: Client, saturdays: tuple[list[OpeningException], list[Appointment]]
) -> None:
    days, bookings = saturdays
    page = admin_client.post(LIST_URL, bulk_delete(days[:1]))

    # Confirmed for the first Saturday only, but both are deleted.
    response = admin_client.post(LIST_URL, bulk_delete(days, confirmed=True, **confirmation(page)))

    assert previewed(response) == codes(*bookings)
    assert OpeningException.objects.count() == 2
    assert all(status(booking) == AppointmentStatus.BOOKED for booking in bookings)


def test_bulk_deleting_across_centres_names_the_centres(admin_client: Client, scene: Scene) -> None:
    days = [
        open_on(scene.location, SATURDAY, "10:00", "13:00"),
        open_on(scene.other.location, SATURDAY, "10:00", "13:00"),
    ]
    bookings = [book_at(scene.booking, SATURDAY, 11), book_at(scene.other, SATURDAY, 12)]

    response = admin_client.post(LIST_URL, bulk_delete(days))

    assert previewed(response) == codes(*bookings)
    html = response.content.decode()
    assert scene.location.name in html and scene.other.location.name in html
    assert response.context["closure_preview"].several_centres


# An administrator of one centre -------------------------------------------------------------


def test_an_administrator_of_one_centre_closes_a_day_there_and_not_elsewhere(
    scene: Scene, settings: Any
) -> None:
    user = make_staff(locations=[scene.location], is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="organisation",
            codename__in=["view_openingexception", "add_openingexception"],
        )
    )
    client = make_staff_client(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    elsewhere = client.post(ADD_URL, exception_form(scene.other.location))
    assert elsewhere.status_code == 200
    assert "closure_preview" not in elsewhere.context
    assert "Select a valid choice" in elsewhere.content.decode()

    data = exception_form(scene.location)
    preview = client.post(ADD_URL, data)
    assert previewed(preview) == codes(scene.inside, scene.edge, scene.after_two)
    assert client.post(ADD_URL, data | confirmation(preview)).status_code == 302
    scene.inside.refresh_from_db()
    assert scene.inside.cancelled_by == user
    assert status(scene.other_centre) == AppointmentStatus.BOOKED
