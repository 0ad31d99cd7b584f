"""The demo municipality: complete, and safe to load twice."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from conftest import uses_postgresql
from skranke.access.models import ApiToken, DeviceAccount
from skranke.access.services import user_for_api_token
from skranke.booking.models import (
    Appointment,
    AppointmentStatus,
    BookingSetup,
    CapacityChange,
    WeeklyCapacity,
)
from skranke.catalogue.models import Queue, Service, SubjectArea
from skranke.core.demo import DEMO_PASSWORD, load_demo
from skranke.lib.localtime import local_date
from skranke.messaging.models import Message
from skranke.organisation.models import (
    Counter,
    HoursKind,
    Location,
    Municipality,
    OpeningHours,
    Role,
    StaffProfile,
    Team,
    TeamKind,
)
from skranke.queue.models import CounterSession, Source, Ticket, TicketStatus, VisitFact
from skranke.reports.models import ServiceGoal

pytestmark = pytest.mark.django_db


def a_few_days_ago() -> str:
    """A --history-from that keeps the demo's history (and the test) short."""
    return (local_date(timezone.now()) - dt.timedelta(days=4)).isoformat()


def _counts() -> dict[str, int]:
    return {
        "locations": Location.objects.count(),
        "areas": SubjectArea.objects.count(),
        "services": Service.objects.count(),
        "queues": Queue.objects.count(),
        "counters": Counter.objects.count(),
        "hours": OpeningHours.objects.count(),
        "teams": Team.objects.count(),
        "users": User.objects.count(),
        "devices": DeviceAccount.objects.count(),
        "active tokens": ApiToken.objects.filter(revoked_at__isnull=True).count(),
        "tickets": Ticket.objects.count(),
        "open counters": CounterSession.objects.filter(closed_at__isnull=True).count(),
        "goals": ServiceGoal.objects.count(),
        "appointments": Appointment.objects.count(),
        "booked services": BookingSetup.objects.count(),
        "capacity rows": WeeklyCapacity.objects.count(),
        "capacity changes": CapacityChange.objects.count(),
    }


# Loaded in the middle of a working day: in the last minutes before midnight fewer citizens can
# still draw a number, so the floor is smaller.
@time_machine.travel(dt.datetime(2026, 11, 10, 10, 30, tzinfo=dt.UTC), tick=True)
def test_demo_has_what_the_issue_asks_for() -> None:
    access = load_demo()
    assert Municipality.objects.get().code == "999"
    assert Location.objects.count() == 3
    assert SubjectArea.objects.count() >= 12
    assert Service.objects.count() >= 25
    assert Counter.objects.count() == 14
    assert Queue.objects.exclude(prefix="").count() >= 4
    assert {team.kind for team in Team.objects.all()} == {TeamKind.FRONT, TeamKind.BACK}
    assert {profile.role for profile in StaffProfile.objects.all()} == set(Role)
    for location in Location.objects.all():
        assert location.opening_hours.filter(kind=HoursKind.ATTENDANCE).exists()
        assert {device.purpose for device in location.devices.all()} == {
            "kiosk",
            "display",
            "counter_screen",
        }
    assert len(access.pairing_paths) == 9
    around_the_clock = Location.objects.get(always_open=True)
    assert (
        Ticket.objects.filter(location=around_the_clock, status=TicketStatus.WAITING).count() >= 5
    )
    assert (
        CounterSession.objects.filter(
            counter__location=around_the_clock, closed_at__isnull=True
        ).count()
        == 2
    )
    manager = user_for_api_token(access.manager_token)
    assert manager is not None and manager.username == "leder"
    assert access.history is None
    # No history was asked for: the only visit recorded is this morning's served appointment.
    assert not VisitFact.objects.exclude(source=Source.APPOINTMENT).exists()
    assert VisitFact.objects.count() == 1
    town_hall_goals = ServiceGoal.objects.filter(location__slug="raadhuset")
    assert town_hall_goals.filter(queue__isnull=True).count() == 3
    assert town_hall_goals.filter(queue__prefix="P").count() == 1
    assert ServiceGoal.objects.filter(location__slug="biblioteket").exists()
    # Colleagues of several teams staff the history; none of them can sign in.
    colleagues = StaffProfile.objects.filter(user__username__in=["sofie", "karin", "lone"])
    assert colleagues.count() == 3
    assert not any(profile.user.has_usable_password() for profile in colleagues)
    _assert_appointments_at_every_centre()


def _assert_appointments_at_every_centre() -> None:
    """Each centre books services that a front queue there takes, with appointments today and
    on the coming days."""
    today = local_date(timezone.now())
    for location in Location.objects.all():
        setups = BookingSetup.objects.filter(calendar__location=location)
        assert setups.filter(service__slug="pas-voksen").exists(), location
        for setup in setups:
            setup.full_clean()  # bookable, and in a front queue at the centre
        days = {
            local_date(start)
            for start in Appointment.objects.filter(location=location).values_list(
                "starts_at", flat=True
            )
        }
        assert today in days, location
        assert len(days) >= 5, location
        assert max(days) >= today + dt.timedelta(days=10), location
        assert WeeklyCapacity.objects.filter(calendar__location=location).exists()
    weddings = BookingSetup.objects.filter(service__slug="borgerlig-vielse")
    assert weddings.filter(calendar__location__slug="raadhuset").exists()
    assert not Message.objects.exists()  # the demo's appointments are not confirmed


# Two moments: the 15-minute grid of passport appointments falls differently against each.
@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 11, 10, 10, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 7, 4, 50, tzinfo=dt.UTC),
    ],
)
def test_demo_has_appointments_today_in_every_state(moment: dt.datetime) -> None:
    with time_machine.travel(moment, tick=True):
        _assert_appointments_today_in_every_state()


def _assert_appointments_today_in_every_state() -> None:
    load_demo()
    around_the_clock = Location.objects.get(always_open=True)
    today = local_date(timezone.now())
    states = {
        (appointment.status, appointment.ticket.status if appointment.ticket else None)
        for appointment in Appointment.objects.filter(location=around_the_clock)
        if local_date(appointment.starts_at) == today
    }
    assert {
        (AppointmentStatus.CHECKED_IN, TicketStatus.FINISHED),
        (AppointmentStatus.CHECKED_IN, TicketStatus.CALLED),
        (AppointmentStatus.CHECKED_IN, TicketStatus.WAITING),
        (AppointmentStatus.NO_SHOW, None),
        (AppointmentStatus.CANCELLED, None),
        (AppointmentStatus.BOOKED, None),
    } <= states
    served = Appointment.objects.get(ticket__status=TicketStatus.FINISHED)
    assert served.ticket.source == Source.APPOINTMENT
    # The served visit is recorded with its wait from the booked time (DESIGN.md).
    assert VisitFact.objects.filter(ticket=served.ticket, wait_seconds__isnull=False).exists()


def test_loading_twice_changes_nothing_but_the_fresh_secrets() -> None:
    load_demo()
    first = _counts()
    admin = User.objects.get(username="admin")
    admin.set_password("changed-by-the-administrator")
    admin.save()
    load_demo()
    assert _counts() == first
    assert first["active tokens"] == 1
    admin.refresh_from_db()
    assert admin.check_password("changed-by-the-administrator")


@pytest.mark.skipif(uses_postgresql(), reason="the demo command runs on SQLite only")
def test_demo_command_prepares_and_prints_logins_and_links() -> None:
    output, again = io.StringIO(), io.StringIO()
    call_command("demo", "--no-serve", "--history-from", a_few_days_ago(), stdout=output)
    # Today's visits are the live floor's, not the history's.
    visits = VisitFact.objects.filter(issue_date__lt=local_date(timezone.now())).count()
    call_command("demo", "--no-serve", "--history-from", a_few_days_ago(), stdout=again)
    text = output.getvalue()
    assert "http://127.0.0.1:8000/admin/" in text
    assert "skranke-demo" in text
    assert text.count("/devices/pair/") == 9
    assert Location.objects.count() == 3
    # One line on the history each time; the second run finds nothing missing.
    history_lines = [line for line in text.splitlines() if line.startswith("Demo history")]
    assert len(history_lines) == 1
    assert f"{visits:,} visits generated in" in history_lines[0]
    assert " 0 visits generated in" in again.getvalue()
    assert VisitFact.objects.filter(issue_date__lt=local_date(timezone.now())).count() == visits


@pytest.mark.skipif(uses_postgresql(), reason="the demo command runs on SQLite only")
def test_the_printed_kiosk_display_and_counter_addresses_work(client: Client) -> None:
    output = io.StringIO()
    call_command("demo", "--no-serve", "--history-from", a_few_days_ago(), stdout=output)
    lines = {
        line.split(":", 1)[0].strip(): line.split()[1:]
        for line in output.getvalue().splitlines()
        if line.strip().startswith(("Kiosk:", "Display:", "Counter:"))
    }
    base = "http://127.0.0.1:8000"
    for label, page in [("Kiosk", "/kiosk/demo/"), ("Display", "/display/demo/")]:
        pairing, _arrow, shown = lines[label][:3]
        assert shown == base + page
        device_client = Client()
        confirm = device_client.get(pairing.removeprefix(base))
        assert confirm.status_code == 200
        paired = device_client.post(pairing.removeprefix(base))
        assert paired.status_code == 302
        assert paired["Location"] == page
        assert device_client.get(page).status_code == 200
    counter = lines["Counter"][0]
    assert client.login(username="medarbejder", password=DEMO_PASSWORD)
    assert client.get(counter.removeprefix(base)).status_code in (200, 302)


def test_demo_command_refuses_a_bad_port() -> None:
    with pytest.raises(CommandError):
        call_command("demo", "--no-serve", "--port", "0")


@pytest.mark.skipif(uses_postgresql(), reason="the demo command runs on SQLite only")
@pytest.mark.parametrize("day", ["yesterday", "2025-02-30", "1990-01-01", "2999-01-01"])
def test_demo_command_refuses_a_bad_history_start(day: str) -> None:
    with pytest.raises(CommandError, match="--history-from"):
        call_command("demo", "--no-serve", "--history-from", day)
    assert not Location.objects.exists()


@pytest.mark.skipif(not uses_postgresql(), reason="checks the refusal on PostgreSQL")
def test_demo_command_refuses_postgresql() -> None:
    with pytest.raises(CommandError, match="SQLite"):
        call_command("demo", "--no-serve")
    assert not Location.objects.exists()
