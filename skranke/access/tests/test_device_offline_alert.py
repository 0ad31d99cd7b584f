"""The e-mail about a device offline while its centre is open: once per outage, to the centre's
team leads only, not outside opening hours (nor for the night before the centre opened), again
after the device came back and fell silent anew; two sweeps at once send it once.

The race starts two sweeps together, each inside its own transaction as the worker runs the job,
with a barrier between reading the candidates and claiming them. The guard was removed once, in
a copy of the code (``offline_alert_sent_at__isnull=True`` in the claiming UPDATE of
``_report_offline``): on PostgreSQL both sweeps then claimed the outage and every team lead got
the e-mail twice, and the test failed.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter as Tally
from typing import Any

import pytest
import time_machine
from django.db import transaction

from skranke.access import services as access_services
from skranke.access.jobs import ALERT_OFFLINE_DEVICES
from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.access.services import (
    alert_offline_devices,
    new_pairing_token,
    pair_device,
    record_heartbeat,
    revoke_device,
    team_lead_addresses,
)
from skranke.access.tests.factories import make_device, make_location, make_staff
from skranke.jobs.registry import registry
from skranke.lib.localtime import wall_clock_instant
from skranke.messaging.models import Channel, Message
from skranke.organisation.models import HoursKind, Location, OpeningHours, Role
from skranke.queue.tests.services.test_concurrency import race

# A Tuesday and the Wednesday after it, neither a holiday.
TUESDAY = dt.date(2026, 11, 10)
WEDNESDAY = dt.date(2026, 11, 11)


def at(day: dt.date, clock: str) -> dt.datetime:
    """The instant Copenhagen clocks show ``clock`` ("HH:MM" or "HH:MM:SS") on ``day``."""
    return wall_clock_instant(day, dt.time.fromisoformat(clock))


def open_on(location: Location, day: dt.date, *hours: tuple[str, str]) -> None:
    for opens, closes in hours:
        OpeningHours.objects.create(
            location=location,
            kind=HoursKind.ATTENDANCE,
            weekday=day.weekday(),
            opens=dt.time.fromisoformat(opens),
            closes=dt.time.fromisoformat(closes),
        )


def centre(*hours: tuple[str, str], **fields: Any) -> Location:
    """A centre open on TUESDAY and WEDNESDAY for ``hours`` (09:00-15:00 if none are given)."""
    location = make_location(**fields)
    for day in (TUESDAY, WEDNESDAY):
        open_on(location, day, *(hours or (("09:00", "15:00"),)))
    return location


def device_seen(location: Location, seen: dt.datetime | None, **fields: Any) -> DeviceAccount:
    """A kiosk of ``location`` paired long ago and last heard from at ``seen``."""
    result = pair_device(new_pairing_token(make_device(location, DevicePurpose.KIOSK)))
    assert result is not None
    device, _credential = result
    paired_at = seen or at(TUESDAY, "08:00")
    DeviceAccount.objects.filter(pk=device.pk).update(
        last_seen_at=seen, paired_at=fields.get("paired_at", paired_at)
    )
    return DeviceAccount.objects.get(pk=device.pk)


def sent() -> Tally[str]:
    """How many e-mails each address was sent."""
    return Tally(Message.objects.filter(channel=Channel.EMAIL).values_list("recipient", flat=True))


@pytest.fixture
def alert_settings(settings: Any) -> Any:
    settings.SKRANKE_DEVICE_OFFLINE_ALERT_MINUTES = 10
    settings.SKRANKE_DEVICE_SILENT_SECONDS = 60
    settings.LANGUAGE_CODE = "da"
    return settings


pytestmark = pytest.mark.usefixtures("alert_settings")


@pytest.mark.django_db
def test_an_outage_is_e_mailed_once_to_the_team_leads_of_the_centre() -> None:
    location = centre(name="Rådhuset")
    elsewhere = make_location()
    make_staff(Role.TEAM_LEAD, [location], email="lead@example.dk")
    make_staff(Role.TEAM_LEAD, [], email="everywhere@example.dk")
    make_staff(Role.TEAM_LEAD, [location, elsewhere], email="both@example.dk")
    make_staff(Role.TEAM_LEAD, [elsewhere], email="other-centre@example.dk")
    make_staff(Role.COUNTER_STAFF, [location], email="counter@example.dk")
    make_staff(Role.MANAGER, [location], email="manager@example.dk")
    make_staff(Role.TEAM_LEAD, [location], email="left@example.dk", is_active=False)
    make_staff(Role.TEAM_LEAD, [location], email="")
    kiosk = device_seen(location, at(TUESDAY, "09:30"))
    leads = ["both@example.dk", "everywhere@example.dk", "lead@example.dk"]
    assert team_lead_addresses(location) == leads

    assert alert_offline_devices(at(TUESDAY, "09:39:59")) == 0
    assert sent() == Tally()

    assert alert_offline_devices(at(TUESDAY, "09:40:01")) == 1
    assert sent() == Tally(leads)
    assert DeviceAccount.objects.get(pk=kiosk.pk).offline_alert_sent_at == at(TUESDAY, "09:40:01")
    message = Message.objects.filter(channel=Channel.EMAIL).first()
    assert message is not None
    assert message.language == "da"
    assert kiosk.name in message.subject and "Rådhuset" in message.subject
    assert kiosk.name in message.body and "09:30" in message.body

    # Not twice for the same outage, however often the sweep runs.
    for clock in ("09:41", "10:30", "14:59"):
        assert alert_offline_devices(at(TUESDAY, clock)) == 0
    assert sent() == Tally(leads)


@pytest.mark.django_db
def test_a_device_that_came_back_and_fell_silent_again_is_reported_again() -> None:
    location = centre()
    make_staff(Role.TEAM_LEAD, [location], email="lead@example.dk")
    kiosk = device_seen(location, at(TUESDAY, "09:30"))
    assert alert_offline_devices(at(TUESDAY, "09:41")) == 1

    assert record_heartbeat(kiosk, at(TUESDAY, "09:45")) is True
    assert DeviceAccount.objects.get(pk=kiosk.pk).offline_alert_sent_at is None
    assert alert_offline_devices(at(TUESDAY, "09:50")) == 0

    assert alert_offline_devices(at(TUESDAY, "09:55:01")) == 1
    assert sent() == Tally({"lead@example.dk": 2})


@pytest.mark.django_db
def test_no_report_while_the_centre_is_closed_nor_before_it_was_open_for_the_alert_time() -> None:
    location = centre()
    make_staff(Role.TEAM_LEAD, [location], email="lead@example.dk")
    device_seen(location, at(TUESDAY, "14:55"))

    # Closed at 15:00, through the night.
    for instant in (at(TUESDAY, "15:05"), at(TUESDAY, "22:00"), at(WEDNESDAY, "08:59")):
        assert alert_offline_devices(instant) == 0
    # Open since 09:00, but not yet for the alert time: a device switched on at opening time
    # is not reported for the night.
    assert alert_offline_devices(at(WEDNESDAY, "09:05")) == 0
    assert alert_offline_devices(at(WEDNESDAY, "09:10")) == 1
    assert sent() == Tally({"lead@example.dk": 1})


@pytest.mark.django_db
def test_a_lunch_break_pauses_the_alert_time_and_hours_that_meet_do_not() -> None:
    with_break = centre(("09:00", "12:00"), ("13:00", "15:00"))
    meeting = centre(("09:00", "12:00"), ("12:00", "15:00"))
    make_staff(Role.TEAM_LEAD, [], email="lead@example.dk")
    paused = device_seen(with_break, at(TUESDAY, "11:55"))
    through = device_seen(meeting, at(TUESDAY, "11:55"))

    assert alert_offline_devices(at(TUESDAY, "12:06")) == 1
    assert DeviceAccount.objects.get(pk=through.pk).offline_alert_sent_at is not None
    assert alert_offline_devices(at(TUESDAY, "13:09")) == 0
    assert alert_offline_devices(at(TUESDAY, "13:10")) == 1
    assert DeviceAccount.objects.get(pk=paused.pk).offline_alert_sent_at is not None


@pytest.mark.django_db
def test_an_always_open_centre_is_watched_through_the_night() -> None:
    location = make_location(always_open=True)
    make_staff(Role.TEAM_LEAD, [location], email="lead@example.dk")
    device_seen(location, at(TUESDAY, "23:55"))

    # Across local midnight, where one day's interval ends and the next begins.
    assert alert_offline_devices(at(WEDNESDAY, "00:04")) == 0
    assert alert_offline_devices(at(WEDNESDAY, "00:06")) == 1


@pytest.mark.django_db
def test_which_devices_are_watched() -> None:
    location = centre()
    make_staff(Role.TEAM_LEAD, [location], email="lead@example.dk")
    now = at(TUESDAY, "10:00")
    # Paired but never heard from after pairing (kept before heartbeats were): from pairing on.
    never_seen = device_seen(location, None, paired_at=at(TUESDAY, "08:00"))
    just_paired = device_seen(location, None, paired_at=at(TUESDAY, "09:55"))
    revoked = device_seen(location, at(TUESDAY, "09:00"))
    revoke_device(revoked)
    waiting_for_pairing = make_device(location)
    closed_down = make_location(active=False, always_open=True)
    at_closed_down = device_seen(closed_down, at(TUESDAY, "09:00"))

    assert alert_offline_devices(now) == 1

    alerted = set(
        DeviceAccount.objects.filter(offline_alert_sent_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert alerted == {never_seen.pk}
    assert {just_paired.pk, revoked.pk, waiting_for_pairing.pk, at_closed_down.pk}.isdisjoint(
        alerted
    )
    assert sent() == Tally({"lead@example.dk": 1})


@pytest.mark.django_db
def test_an_outage_with_no_team_lead_to_tell_is_still_marked_reported() -> None:
    location = centre()
    kiosk = device_seen(location, at(TUESDAY, "09:30"))

    assert alert_offline_devices(at(TUESDAY, "09:41")) == 1

    assert DeviceAccount.objects.get(pk=kiosk.pk).offline_alert_sent_at is not None
    assert sent() == Tally()


@pytest.mark.django_db
def test_the_worker_runs_the_sweep_every_minute() -> None:
    location = centre()
    make_staff(Role.TEAM_LEAD, [location], email="lead@example.dk")
    device_seen(location, at(TUESDAY, "09:30"))
    periodic = registry.periodic_jobs[ALERT_OFFLINE_DEVICES]
    handler = registry.handler_for(ALERT_OFFLINE_DEVICES)
    assert periodic.interval == dt.timedelta(minutes=1)
    assert handler is not None and handler.atomic

    with time_machine.travel(at(TUESDAY, "09:45"), tick=False):
        handler.function({})

    assert sent() == Tally({"lead@example.dk": 1})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_one_e_mail_per_team_lead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    location = centre()
    make_staff(Role.TEAM_LEAD, [location], email="lead@example.dk")
    make_staff(Role.TEAM_LEAD, [], email="everywhere@example.dk")
    device_seen(location, at(TUESDAY, "09:30"))
    sweeps = 2
    # Between reading the candidates and claiming one, each sweep asks for the centre's hours:
    # there the sweeps wait for each other, so both have read the outage as unreported.
    barrier = threading.Barrier(sweeps)
    waited = threading.local()
    hours = access_services.current_interval

    def current_interval_after_the_others(*args: Any, **kwargs: Any) -> Any:
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait(timeout=30)
        return hours(*args, **kwargs)

    monkeypatch.setattr(access_services, "current_interval", current_interval_after_the_others)

    def sweep(_index: int, _round: int) -> int:
        # As the worker runs the job: inside one transaction.
        with transaction.atomic():
            return alert_offline_devices(at(TUESDAY, "09:41"))

    results = race(sweeps, sweep)

    assert sorted(result for [result] in results) == [0, 1]
    assert sent() == Tally({"lead@example.dk": 1, "everywhere@example.dk": 1})
