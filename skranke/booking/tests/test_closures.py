"""The closure engine: which future bookings a centre's hours no longer cover, and cancelling them
with the closure notice (the world is described in closure_scene.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from django.db import transaction
from django.utils import timezone

from skranke.booking.models import Appointment, AppointmentStatus, CancelReason
from skranke.booking.services import (
    bookings_hit,
    cancel_for_closure,
    free_slots,
    move_appointment,
)
from skranke.booking.tests.closure_scene import (
    CHRISTMAS_EVE,
    DAY,
    NOW,
    TUESDAY,
    Scene,
    clock,
    make_scene,
    open_on,
    places_taken,
)
from skranke.booking.tests.factories import at
from skranke.messaging.models import Channel
from skranke.organisation.models import HoursKind, OpeningException, OpeningHours
from skranke.queue.tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scene() -> Scene:
    return make_scene()


def codes(appointments: list[Appointment]) -> list[str]:
    return [appointment.code for appointment in appointments]


def close_tuesdays_at(scene: Scene, closes: str) -> None:
    OpeningHours.objects.filter(
        location=scene.location, kind=HoursKind.ATTENDANCE, weekday=TUESDAY
    ).update(closes=clock(closes))


def test_the_hours_as_booked_hit_nothing(scene: Scene) -> None:
    assert bookings_hit(scene.location) == []
    assert bookings_hit(scene.other.location) == []


def test_shorter_weekly_hours_hit_the_future_bookings_after_the_new_closing(scene: Scene) -> None:
    close_tuesdays_at(scene, "14:00")

    # Not the one ending at 14:00, the cancelled one, the past one or the other centre's.
    assert codes(bookings_hit(scene.location)) == codes([scene.after_two, scene.next_tuesday])


def test_a_later_opening_hits_the_bookings_before_it(scene: Scene) -> None:
    OpeningHours.objects.filter(
        location=scene.location, kind=HoursKind.ATTENDANCE, weekday=TUESDAY
    ).update(opens=clock("11:15"))

    assert codes(bookings_hit(scene.location)) == codes([scene.inside])


def test_a_closed_day_hits_every_booking_that_day(scene: Scene) -> None:
    OpeningException.objects.create(location=scene.location, date=DAY, reason="Personalemøde")

    assert codes(bookings_hit(scene.location)) == codes([scene.inside, scene.edge, scene.after_two])


def test_a_day_with_other_hours_hits_what_falls_outside_them(scene: Scene) -> None:
    open_on(scene.location, DAY, "11:00", "12:00")
    open_on(scene.location, DAY, "13:45", "14:00")

    assert codes(bookings_hit(scene.location)) == codes([scene.after_two])


def test_a_booking_across_two_touching_intervals_is_hit(scene: Scene) -> None:
    # A booking must lie within one interval, as it had to when it was booked.
    open_on(scene.location, DAY, "09:00", "11:05")
    open_on(scene.location, DAY, "11:05", "15:00")

    assert codes(bookings_hit(scene.location)) == codes([scene.inside])


def test_telephone_hours_hit_nothing(scene: Scene) -> None:
    OpeningException.objects.create(location=scene.location, date=DAY, kind=HoursKind.TELEPHONE)

    assert bookings_hit(scene.location) == []


def test_closing_on_an_optional_holiday_hits_its_bookings(scene: Scene) -> None:
    scene.location.open_on_christmas_eve = False

    # The centre's own fields as given, before they are saved.
    assert codes(bookings_hit(scene.location)) == codes([scene.christmas_eve])


def test_a_centre_no_longer_always_open_hits_the_bookings_outside_its_hours() -> None:
    scene_always = make_scene()
    late = Appointment.objects.get(pk=scene_always.inside.pk)
    location = scene_always.location
    location.always_open = True
    location.save()
    # Booked at 20:00 while the centre was open around the clock.
    Appointment.objects.filter(pk=late.pk).update(starts_at=at(DAY, 20), ends_at=at(DAY, 20, 15))
    assert bookings_hit(location) == []

    location.always_open = False

    assert codes(bookings_hit(location)) == [late.code]


def test_only_bookings_after_now_count(scene: Scene) -> None:
    close_tuesdays_at(scene, "14:00")

    later = at(DAY, 14, 5)
    assert codes(bookings_hit(scene.location, now=later)) == codes([scene.next_tuesday])


# Cancelling ---------------------------------------------------------------------------------


def test_cancelling_for_a_closure_cancels_gives_the_place_back_and_tells_the_citizen(
    scene: Scene,
) -> None:
    staff = make_staff()
    close_tuesdays_at(scene, "14:00")
    hit = bookings_hit(scene.location)
    assert places_taken(scene.after_two) == 1

    with transaction.atomic():
        cancelled = cancel_for_closure(hit, staff=staff, site_url="https://borgerservice.dk")

    assert codes(cancelled) == codes([scene.after_two, scene.next_tuesday])
    for appointment in cancelled:
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CANCELLED
        assert appointment.cancel_reason == CancelReason.CLOSURE
        assert appointment.cancelled_by == staff
        assert appointment.cancelled_at == timezone.now()
        assert places_taken(appointment) == 0
        sent = {message.channel: message for message in appointment.messages.all()}
        assert set(sent) == {Channel.SMS, Channel.EMAIL}
        link = (
            f"https://borgerservice.dk/booking/{scene.location.slug}/{scene.booking.passport.slug}/"
        )
        assert link in sent[Channel.SMS].body
        assert link in sent[Channel.EMAIL].body
        entry = LogEntry.objects.get(
            content_type__model="appointment",
            object_pk=str(appointment.pk),
            additional_data__action="appointment_cancelled",
        )
        assert entry.additional_data["details"]["reason"] == "closure"
        assert entry.actor == staff
    # The others are untouched.
    for untouched in (scene.inside, scene.edge, scene.other_centre, scene.past):
        untouched.refresh_from_db()
        assert untouched.status == AppointmentStatus.BOOKED
        assert not untouched.messages.exists()


def test_the_place_given_back_can_be_booked_again(scene: Scene) -> None:
    OpeningException.objects.create(location=scene.location, date=DAY, reason="Personalemøde")
    hit = bookings_hit(scene.location)
    cancel_for_closure(hit, staff=make_staff())
    OpeningException.objects.filter(location=scene.location, date=DAY).delete()

    starts = [slot.start for slot in free_slots(scene.location, scene.booking.passport, DAY)]

    assert {at(DAY, 11), at(DAY, 13, 45), at(DAY, 14)} <= set(starts)


def test_a_booking_cancelled_or_moved_meanwhile_is_left_alone(scene: Scene) -> None:
    OpeningException.objects.create(location=scene.location, date=DAY, reason="Personalemøde")
    hit = bookings_hit(scene.location)
    Appointment.objects.filter(pk=scene.inside.pk).update(
        status=AppointmentStatus.CANCELLED, cancelled_at=NOW, cancel_reason=CancelReason.CITIZEN
    )
    move_appointment(scene.edge, at(DAY + dt.timedelta(days=1), 10), send_confirmation=False)

    cancelled = cancel_for_closure(hit, staff=make_staff())

    assert codes(cancelled) == [scene.after_two.code]
    scene.edge.refresh_from_db()
    assert scene.edge.status == AppointmentStatus.BOOKED
    assert places_taken(scene.edge) == 1
    inside = Appointment.objects.get(pk=scene.inside.pk)
    assert inside.cancel_reason == CancelReason.CITIZEN
    assert not inside.messages.exists()


def test_cancelling_rolls_back_with_the_callers_transaction(scene: Scene) -> None:
    close_tuesdays_at(scene, "14:00")
    hit = bookings_hit(scene.location)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        cancel_for_closure(hit, staff=make_staff())
        raise Undo

    scene.after_two.refresh_from_db()
    assert scene.after_two.status == AppointmentStatus.BOOKED
    assert places_taken(scene.after_two) == 1
    assert not scene.after_two.messages.exists()


def test_the_closure_notice_is_in_the_citizens_language(scene: Scene, settings: Any) -> None:
    Appointment.objects.filter(pk=scene.christmas_eve.pk).update(language="en")
    scene.location.open_on_christmas_eve = False
    scene.location.save()

    (cancelled,) = cancel_for_closure(bookings_hit(scene.location), staff=make_staff())

    sms = cancelled.messages.get(channel=Channel.SMS)
    assert sms.language == "en"
    assert "Choose a new time" in sms.body
    assert CHRISTMAS_EVE.strftime("%Y") in sms.body
