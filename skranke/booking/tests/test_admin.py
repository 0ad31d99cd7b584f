"""The appointment calendar in the admin: the rules of the models, shown beside the fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from skranke.booking.models import BookingCalendar, BookingSetup, CapacityChange, WeeklyCapacity
from skranke.catalogue.models import QueueKind, Service
from skranke.queue.tests.factories import make_centre

pytestmark = pytest.mark.django_db

PREFIXES = ("setups", "weekly_capacity", "capacity_changes")


@pytest.fixture(autouse=True)
def _in_english(admin_client: Client, settings: Any) -> None:
    # The messages are read in English; Danish is the site's default.
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def calendar_form(
    calendar: BookingCalendar,
    setups: list[dict[str, Any]] = (),  # type: ignore[assignment]
    weekly: list[dict[str, Any]] = (),  # type: ignore[assignment]
    changes: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """The calendar's change form with new inline rows, as the browser posts it."""
    data: dict[str, Any] = {
        "active": "on",
        "checkin_early_minutes": "15",
        "checkin_late_minutes": "5",
        "late_arrival": "walk_in",
        "reminder_hours": "24",
        "reminder_by_sms": "on",
        "reminder_by_email": "on",
    }
    for prefix, rows in zip(PREFIXES, (setups, weekly, changes), strict=True):
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
        for index, row in enumerate(rows):
            data |= {f"{prefix}-{index}-{name}": value for name, value in row.items()}
    return data


def setup_row(service: Service) -> dict[str, Any]:
    return {
        "service": service.pk,
        "slot_minutes": "15",
        "extra_minutes_per_person": "10",
        "max_people": "4",
        "horizon_days": "60",
        "minimum_notice_minutes": "120",
        "active": "on",
    }


@pytest.fixture
def calendar() -> BookingCalendar:
    centre = make_centre()
    Service.objects.filter(pk=centre.passport.pk).update(bookable=True)
    return BookingCalendar.objects.create(location=centre.location)


def change_url(calendar: BookingCalendar) -> str:
    return reverse("admin:booking_bookingcalendar_change", args=[calendar.pk])


def test_an_administrator_sets_up_a_centres_calendar(
    admin_client: Client, calendar: BookingCalendar
) -> None:
    passport = Service.objects.get(bookable=True)
    data = calendar_form(
        calendar,
        setups=[setup_row(passport)],
        weekly=[
            {"weekday": "0", "starts": "09:00", "ends": "12:00", "capacity": "2"},
            {"weekday": "0", "starts": "12:00", "ends": "00:00", "capacity": "1"},
        ],
        changes=[{"date": "2026-12-22", "adjustment": "-1", "reason": "To kolleger syge"}],
    )

    response = admin_client.post(change_url(calendar), data)

    assert response.status_code == 302, response.context["errors"]
    setup = BookingSetup.objects.get()
    assert (setup.service, setup.minutes_for(4)) == (passport, 45)
    assert WeeklyCapacity.objects.count() == 2
    assert CapacityChange.objects.get().adjustment == -1


def test_a_service_outside_every_front_queue_is_refused(
    admin_client: Client, calendar: BookingCalendar
) -> None:
    passport = Service.objects.get(bookable=True)
    calendar.location.queues.filter(kind=QueueKind.FRONT).update(kind=QueueKind.BACK)

    response = admin_client.post(
        change_url(calendar), calendar_form(calendar, setups=[setup_row(passport)])
    )

    assert response.status_code == 200
    assert "No front-office queue at this centre takes" in response.content.decode()
    assert not BookingSetup.objects.exists()


def test_a_service_that_is_not_bookable_is_not_offered_nor_accepted(
    admin_client: Client, calendar: BookingCalendar
) -> None:
    moving = Service.objects.get(bookable=False)

    page = admin_client.get(change_url(calendar))
    setup = BookingSetup(calendar=calendar, service=moving)

    offered = page.context["inline_admin_formsets"][0].formset.empty_form.fields["service"]
    assert moving not in offered.queryset
    with pytest.raises(ValidationError, match="not bookable"):
        setup.full_clean()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"slot_minutes": "12"}, "multiple of 5"),
        ({"extra_minutes_per_person": "7"}, "multiple of 5"),
        ({"max_people": "0"}, "greater than or equal to 1"),
    ],
)
def test_slot_lengths_follow_the_calendars_five_minutes(
    admin_client: Client, calendar: BookingCalendar, row: dict[str, str], message: str
) -> None:
    passport = Service.objects.get(bookable=True)

    response = admin_client.post(
        change_url(calendar), calendar_form(calendar, setups=[setup_row(passport) | row])
    )

    assert response.status_code == 200
    assert message in response.content.decode()


def test_overlapping_weekly_capacity_is_refused(
    admin_client: Client, calendar: BookingCalendar
) -> None:
    data = calendar_form(
        calendar,
        weekly=[
            {"weekday": "1", "starts": "09:00", "ends": "12:00", "capacity": "2"},
            {"weekday": "1", "starts": "11:00", "ends": "13:00", "capacity": "1"},
        ],
    )

    response = admin_client.post(change_url(calendar), data)

    assert response.status_code == 200
    assert "Capacity rows on Tuesday overlap" in response.content.decode()
    assert not WeeklyCapacity.objects.exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"capacity": "1", "adjustment": "-1"}, "one of the two"),
        ({}, "one of the two"),
        ({"capacity": "0", "starts": "10:00"}, "both times"),
        ({"capacity": "0", "starts": "12:00", "ends": "10:00"}, "after the start"),
        ({"capacity": "0", "reason": "Syg 010190-1234"}, "CPR"),
    ],
)
def test_a_capacity_change_is_one_kind_within_a_day(
    admin_client: Client, calendar: BookingCalendar, row: dict[str, str], message: str
) -> None:
    url = reverse("admin:booking_capacitychange_add")

    response = admin_client.post(url, {"calendar": calendar.pk, "date": "2026-12-22"} | row)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CapacityChange.objects.exists()


def test_past_changes_leave_the_calendar_page_but_stay_listed(
    admin_client: Client, calendar: BookingCalendar
) -> None:
    CapacityChange.objects.create(calendar=calendar, date=dt.date(2020, 1, 6), capacity=0)

    page = admin_client.get(change_url(calendar))
    listing = admin_client.get(reverse("admin:booking_capacitychange_changelist"))

    assert not page.context["inline_admin_formsets"][2].formset.queryset.exists()
    assert len(listing.context["cl"].result_list) == 1


def test_the_check_in_window_and_reminders_are_set_on_the_calendar_page(
    admin_client: Client, calendar: BookingCalendar
) -> None:
    page = admin_client.get(change_url(calendar))
    content = page.content.decode()
    for heading in ("Check-in at the kiosk", "Reminders"):
        assert f">{heading}<" in content, heading

    data = calendar_form(calendar) | {
        "checkin_early_minutes": "30",
        "checkin_late_minutes": "10",
        "late_arrival": "refuse",
        "reminder_hours": "48",
        "reminder_by_email": "",
    }
    response = admin_client.post(change_url(calendar), data)

    assert response.status_code == 302, response.context["errors"]
    calendar.refresh_from_db()
    assert (
        calendar.checkin_early_minutes,
        calendar.checkin_late_minutes,
        calendar.late_arrival,
        calendar.reminder_hours,
        calendar.reminder_by_sms,
        calendar.reminder_by_email,
    ) == (30, 10, "refuse", 48, True, False)
    listed = admin_client.get(reverse("admin:booking_bookingcalendar_changelist")).content.decode()
    assert "30 min before to 10 min after" in listed and "48 h before by SMS" in listed


def test_reminders_by_neither_channel_are_refused(
    admin_client: Client, calendar: BookingCalendar
) -> None:
    data = calendar_form(calendar) | {"reminder_by_sms": "", "reminder_by_email": ""}

    response = admin_client.post(change_url(calendar), data)

    assert response.status_code == 200
    assert "or set the reminder to 0 hours" in response.content.decode()
    calendar.refresh_from_db()
    assert calendar.reminder_by_sms and calendar.reminder_by_email
    # None at all is fine.
    response = admin_client.post(change_url(calendar), data | {"reminder_hours": "0"})
    assert response.status_code == 302
