"""Unplanned closures on the centre's admin page: its weekly hours, its dated exceptions and its
own fields (always open, the optional holidays) list the bookings a change hits before saving,
and cancel them with a message once confirmed (the world is described in closure_scene.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from skranke.booking.closure_admin import CONFIRM_FIELD
from skranke.booking.models import Appointment, AppointmentStatus, CancelReason
from skranke.booking.tests.closure_scene import (
    DAY,
    NOW,
    SATURDAY,
    TUESDAY,
    Scene,
    add_row,
    book_at,
    centre_form,
    clock,
    make_hours_centre,
    make_scene,
    open_on,
    places_taken,
    weekly_row,
)
from skranke.messaging.models import Channel, Message
from skranke.organisation.models import HoursKind, Location, OpeningException, OpeningHours

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock_and_language(admin_client: Client, settings: Any) -> Iterator[None]:
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scene() -> Scene:
    return make_scene()


def change_url(location: Location) -> str:
    return reverse("admin:organisation_location_change", args=[location.pk])


def previewed(response: HttpResponse) -> list[str]:
    """Return the codes the preview lists, having checked the page shows them and asks again."""
    assert response.status_code == 200
    preview = response.context["closure_preview"]
    html = response.content.decode()
    assert f'name="{CONFIRM_FIELD}" value="{preview.fingerprint}"' in html
    assert 'role="alert"' in html
    # The preview is not an error: the page does not ask to correct anything.
    assert "errornote" not in html
    for appointment in preview.appointments:
        assert f'<td class="closure-code">{appointment.display_code}</td>' in html
    return [appointment.code for appointment in preview.appointments]


def codes(*appointments: Appointment) -> list[str]:
    return [appointment.code for appointment in appointments]


def tuesday_closes(location: Location) -> dt.time:
    return OpeningHours.objects.get(
        location=location, kind=HoursKind.ATTENDANCE, weekday=TUESDAY
    ).closes


def still_booked(*appointments: Appointment) -> bool:
    return all(
        Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.BOOKED
        and not Appointment.objects.get(pk=appointment.pk).messages.exists()
        for appointment in appointments
    )


def everyone(scene: Scene) -> list[Appointment]:
    return [
        scene.inside,
        scene.edge,
        scene.after_two,
        scene.past,
        scene.next_tuesday,
        scene.christmas_eve,
        scene.other_centre,
    ]


def shorten_tuesdays(scene: Scene) -> dict[str, str]:
    data = centre_form(scene.location)
    data[weekly_row(data, TUESDAY) + "closes"] = "14:00"
    return data


# Weekly hours -------------------------------------------------------------------------------


def test_shorter_weekly_hours_list_exactly_the_bookings_hit_and_save_nothing(
    admin_client: Client, scene: Scene
) -> None:
    messages_before = Message.objects.count()

    response = admin_client.post(change_url(scene.location), shorten_tuesdays(scene))

    # Not the booking ending at 14:00, the cancelled one, the past one, the other centre's.
    assert previewed(response) == codes(scene.after_two, scene.next_tuesday)
    assert tuesday_closes(scene.location) == clock("15:00")
    assert still_booked(*everyone(scene))
    assert Message.objects.count() == messages_before
    assert not AdminLogEntry.objects.exists()
    # What was typed is shown again, to be saved as it is.
    assert 'value="14:00"' in response.content.decode()


def test_confirming_saves_the_hours_and_cancels_and_notifies_the_bookings_hit(
    admin_client: Client, scene: Scene, admin_user: User
) -> None:
    data = shorten_tuesdays(scene)
    preview = admin_client.post(change_url(scene.location), data).context["closure_preview"]

    response = admin_client.post(
        change_url(scene.location), data | {CONFIRM_FIELD: preview.fingerprint}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("admin:organisation_location_changelist")
    assert tuesday_closes(scene.location) == clock("15:00").replace(hour=14)
    new_time = f"/booking/{scene.location.slug}/{scene.booking.passport.slug}/"
    for hit in (scene.after_two, scene.next_tuesday):
        hit.refresh_from_db()
        assert hit.status == AppointmentStatus.CANCELLED
        assert hit.cancel_reason == CancelReason.CLOSURE
        assert hit.cancelled_by == admin_user
        assert places_taken(hit) == 0
        messages = {message.channel: message.body for message in hit.messages.all()}
        assert set(messages) == {Channel.SMS, Channel.EMAIL}
        assert all(new_time in body for body in messages.values())
    assert still_booked(scene.inside, scene.edge, scene.past, scene.other_centre)
    shown = [str(message) for message in response.context["messages"]]
    assert (
        "2 bookings were cancelled and their citizens sent a message with a link to choose a "
        "new time." in shown
    )
    assert any("was changed successfully" in message for message in shown)


def test_widening_or_keeping_the_hours_saves_at_once(admin_client: Client, scene: Scene) -> None:
    unchanged = centre_form(scene.location)
    assert admin_client.post(change_url(scene.location), unchanged).status_code == 302

    wider = centre_form(scene.location)
    row = weekly_row(wider, TUESDAY)
    wider |= {row + "opens": "08:00", row + "closes": "16:00"}
    response = admin_client.post(change_url(scene.location), wider)

    assert response.status_code == 302
    assert tuesday_closes(scene.location) == clock("16:00")
    assert still_booked(*everyone(scene))


def test_bookings_already_outside_the_hours_are_not_hit_by_another_change(
    admin_client: Client, scene: Scene
) -> None:
    # The hours changed some other way; this edit (the phone number) does not close anything.
    OpeningHours.objects.filter(
        location=scene.location, kind=HoursKind.ATTENDANCE, weekday=TUESDAY
    ).update(closes=clock("14:00"))
    data = centre_form(scene.location) | {"phone": "89 15 15 15"}

    response = admin_client.post(change_url(scene.location), data)

    assert response.status_code == 302
    assert Location.objects.get(pk=scene.location.pk).phone == "89 15 15 15"
    assert still_booked(scene.after_two, scene.next_tuesday)


def test_telephone_hours_hit_nothing(admin_client: Client, scene: Scene) -> None:
    data = centre_form(scene.location)
    data[weekly_row(data, TUESDAY, HoursKind.TELEPHONE) + "closes"] = "09:00"

    assert admin_client.post(change_url(scene.location), data).status_code == 302


def test_deleting_a_weekly_row_hits_that_weekdays_bookings(
    admin_client: Client, scene: Scene
) -> None:
    data = centre_form(scene.location)
    data[weekly_row(data, TUESDAY) + "DELETE"] = "on"

    response = admin_client.post(change_url(scene.location), data)

    assert previewed(response) == codes(
        scene.inside, scene.edge, scene.after_two, scene.next_tuesday
    )
    assert OpeningHours.objects.filter(location=scene.location, weekday=TUESDAY).count() == 2


def test_when_the_bookings_hit_change_before_confirming_the_preview_comes_again(
    admin_client: Client, scene: Scene
) -> None:
    data = shorten_tuesdays(scene)
    first = admin_client.post(change_url(scene.location), data).context["closure_preview"]
    # Nothing was saved, so a citizen can still book 14:30 meanwhile.
    late = book_at(scene.booking, DAY, 14, 30)

    response = admin_client.post(
        change_url(scene.location), data | {CONFIRM_FIELD: first.fingerprint}
    )

    assert previewed(response) == codes(scene.after_two, late, scene.next_tuesday)
    assert tuesday_closes(scene.location) == clock("15:00")
    assert still_booked(scene.after_two, late, scene.next_tuesday)
    again = response.context["closure_preview"].fingerprint
    confirmed = admin_client.post(change_url(scene.location), data | {CONFIRM_FIELD: again})
    assert confirmed.status_code == 302
    late.refresh_from_db()
    assert late.cancel_reason == CancelReason.CLOSURE


def test_a_made_up_confirmation_shows_the_preview(admin_client: Client, scene: Scene) -> None:
    data = shorten_tuesdays(scene) | {CONFIRM_FIELD: "0" * 20}

    response = admin_client.post(change_url(scene.location), data)

    assert previewed(response) == codes(scene.after_two, scene.next_tuesday)
    assert tuesday_closes(scene.location) == clock("15:00")


def test_other_errors_are_shown_as_errors_without_a_preview(
    admin_client: Client, scene: Scene
) -> None:
    data = shorten_tuesdays(scene)
    add_row(data, "opening_hours", kind="attendance", weekday="1", opens="13:00", closes="16:00")

    response = admin_client.post(change_url(scene.location), data)

    assert response.status_code == 200
    assert "closure_preview" not in response.context
    assert "errornote" in response.content.decode()


# Dated exceptions inline --------------------------------------------------------------------


def test_a_closed_day_added_inline_lists_that_days_bookings(
    admin_client: Client, scene: Scene
) -> None:
    data = centre_form(scene.location)
    add_row(data, "opening_exceptions", date=DAY.isoformat(), kind="attendance", reason="Flytning")

    response = admin_client.post(change_url(scene.location), data)

    assert previewed(response) == codes(scene.inside, scene.edge, scene.after_two)
    assert not OpeningException.objects.exists()
    assert still_booked(*everyone(scene))

    confirm = {CONFIRM_FIELD: response.context["closure_preview"].fingerprint}
    assert admin_client.post(change_url(scene.location), data | confirm).status_code == 302
    assert OpeningException.objects.get().date == DAY
    assert not still_booked(scene.inside) and not still_booked(scene.edge)
    assert still_booked(scene.next_tuesday, scene.other_centre)


def test_shorter_hours_on_a_day_inline_list_the_bookings_outside_them(
    admin_client: Client, scene: Scene
) -> None:
    data = centre_form(scene.location)
    add_row(
        data,
        "opening_exceptions",
        date=DAY.isoformat(),
        kind="attendance",
        opens="11:00",
        closes="14:00",
    )

    response = admin_client.post(change_url(scene.location), data)

    assert previewed(response) == codes(scene.after_two)


def test_deleting_an_extra_opening_inline_lists_its_bookings(
    admin_client: Client, scene: Scene
) -> None:
    open_on(scene.location, SATURDAY, "10:00", "13:00")
    saturday = book_at(scene.booking, SATURDAY, 11)
    data = centre_form(scene.location)
    data["opening_exceptions-0-DELETE"] = "on"

    response = admin_client.post(change_url(scene.location), data)

    assert previewed(response) == codes(saturday)
    assert OpeningException.objects.filter(date=SATURDAY).exists()


def test_an_exception_for_the_telephone_hits_nothing(admin_client: Client, scene: Scene) -> None:
    data = centre_form(scene.location)
    add_row(data, "opening_exceptions", date=DAY.isoformat(), kind="telephone")

    assert admin_client.post(change_url(scene.location), data).status_code == 302


# The centre's own fields --------------------------------------------------------------------


def test_closing_on_christmas_eve_lists_its_bookings(admin_client: Client, scene: Scene) -> None:
    data = centre_form(scene.location)
    del data["open_on_christmas_eve"]

    response = admin_client.post(change_url(scene.location), data)

    assert previewed(response) == codes(scene.christmas_eve)
    assert Location.objects.get(pk=scene.location.pk).open_on_christmas_eve

    confirm = {CONFIRM_FIELD: response.context["closure_preview"].fingerprint}
    assert admin_client.post(change_url(scene.location), data | confirm).status_code == 302
    assert not Location.objects.get(pk=scene.location.pk).open_on_christmas_eve
    scene.christmas_eve.refresh_from_db()
    assert scene.christmas_eve.cancel_reason == CancelReason.CLOSURE


def test_opening_on_new_years_eve_hits_nothing(admin_client: Client, scene: Scene) -> None:
    data = centre_form(scene.location) | {"open_on_new_years_eve": "on"}

    assert admin_client.post(change_url(scene.location), data).status_code == 302


def test_a_centre_no_longer_always_open_lists_the_bookings_outside_its_hours(
    admin_client: Client,
) -> None:
    booking = make_hours_centre(always_open=True)
    evening = book_at(booking, DAY, 20)
    daytime = book_at(booking, DAY, 10)
    data = centre_form(booking.location)
    del data["always_open"]

    response = admin_client.post(change_url(booking.location), data)

    assert previewed(response) == codes(evening)
    assert Location.objects.get(pk=booking.location.pk).always_open
    assert still_booked(evening, daytime)


def test_a_new_centre_is_added_without_a_preview(admin_client: Client, scene: Scene) -> None:
    data = centre_form(scene.location) | {"name": "Borgerservice Nord", "slug": "nord"}
    for prefix in ("opening_hours", "opening_exceptions"):
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        stored = [
            key for key in data if key.startswith(prefix) and key.endswith(("-id", "-location"))
        ]
        for key in stored:
            del data[key]

    response = admin_client.post(reverse("admin:organisation_location_add"), data)

    assert response.status_code == 302
    assert Location.objects.get(slug="nord").opening_hours.count() == 6
