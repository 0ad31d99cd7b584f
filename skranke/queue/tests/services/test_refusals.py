"""Numbers the service layer refuses, each with its stable code, and writing nothing when it
does: closed centre, cut-off, quota, closed queue, inactive queue or centre, a service no queue
takes, a service that needs an appointment, and back-office queues."""

from __future__ import annotations

import datetime as dt

import pytest

from skranke.catalogue.models import Service
from skranke.queue import services
from skranke.queue.errors import IssueRefused
from skranke.queue.models import (
    DailySequence,
    EventKind,
    Priority,
    Source,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from skranke.queue.tests.factories import (
    Centre,
    copenhagen,
    issue,
    make_centre,
    make_staff,
    open_counters,
    set_weekly_hours,
)

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2026, 6, 9)
WEDNESDAY = TUESDAY + dt.timedelta(days=1)


def office_hours_centre(cutoff_minutes: int = 0) -> Centre:
    """Return a centre open Monday to Friday 10:00–15:00."""
    centre = make_centre()
    set_weekly_hours(centre.location, dt.time(10, 0), dt.time(15, 0))
    centre.passports.cutoff_minutes = cutoff_minutes
    centre.passports.save(update_fields=["cutoff_minutes"])
    return centre


def refusal(centre: Centre, service: Service | None = None, **fields: object) -> IssueRefused:
    """Return the refusal of a kiosk number, checking that nothing was written."""
    before = (Ticket.objects.count(), TicketEvent.objects.count(), sequences())
    with pytest.raises(IssueRefused) as refused:
        issue(centre, service, **fields)  # type: ignore[arg-type]
    assert (Ticket.objects.count(), TicketEvent.objects.count(), sequences()) == before
    return refused.value


def sequences() -> list[tuple[int, dt.date, int]]:
    return list(DailySequence.objects.values_list("queue", "date", "last_number").order_by("id"))


def test_closed_outside_the_hours_with_the_next_opening() -> None:
    centre = office_hours_centre()

    early = refusal(centre, now=copenhagen(TUESDAY, 9, 59))
    evening = refusal(centre, now=copenhagen(TUESDAY, 18, 0))
    weekend = refusal(centre, now=copenhagen(dt.date(2026, 6, 13), 11, 0))

    assert (early.code, early.next_opening) == ("closed", copenhagen(TUESDAY, 10, 0))
    assert (evening.code, evening.next_opening) == ("closed", copenhagen(WEDNESDAY, 10, 0))
    assert (weekend.code, weekend.next_opening) == ("closed", copenhagen(dt.date(2026, 6, 15), 10))


def test_open_at_the_opening_instant_and_closed_at_the_closing_instant() -> None:
    centre = office_hours_centre()

    first = issue(centre, now=copenhagen(TUESDAY, 10, 0))
    at_closing = refusal(centre, now=copenhagen(TUESDAY, 15, 0))

    assert first.display_number == "P001"
    assert (at_closing.code, at_closing.next_opening) == ("closed", copenhagen(WEDNESDAY, 10, 0))


def test_closed_on_a_public_holiday() -> None:
    centre = office_hours_centre()
    whit_monday = dt.date(2026, 5, 25)

    refused = refusal(centre, now=copenhagen(whit_monday, 11, 0))

    assert (refused.code, refused.next_opening) == ("closed", copenhagen(dt.date(2026, 5, 26), 10))


def test_cut_off_before_closing() -> None:
    centre = office_hours_centre(cutoff_minutes=15)
    last = issue(centre, now=copenhagen(TUESDAY, 14, 44))

    refused = refusal(centre, now=copenhagen(TUESDAY, 14, 45))

    assert last.display_number == "P001"
    assert (refused.code, refused.next_opening) == ("cut_off", copenhagen(WEDNESDAY, 10, 0))
    # The cut-off is the queue's: the other queue still issues until closing.
    assert issue(centre, centre.moving, now=copenhagen(TUESDAY, 14, 59)).display_number == "B001"


def test_quota_refuses_the_number_after_the_last_one_and_resets_the_next_day() -> None:
    centre = make_centre()
    centre.passports.daily_quota = 2
    centre.passports.save(update_fields=["daily_quota"])
    issued = [issue(centre, now=copenhagen(TUESDAY, 10, 0)).number for _ in range(2)]

    refused = refusal(centre, now=copenhagen(TUESDAY, 10, 5))

    assert issued == [1, 2]
    assert refused.code == "quota"
    assert DailySequence.objects.get(queue=centre.passports, date=TUESDAY).last_number == 2
    # A staff-issued urgent number counts against the quota too.
    refused_urgent = refusal(
        centre, now=copenhagen(TUESDAY, 10, 6), priority=Priority.URGENT, staff=make_staff()
    )
    assert refused_urgent.code == "quota"
    assert issue(centre, now=copenhagen(WEDNESDAY, 10, 0)).number == 1


def test_a_closed_queue_takes_no_new_numbers_but_keeps_its_line() -> None:
    centre = make_centre()
    now = copenhagen(TUESDAY, 11, 0)
    waiting = issue(centre, now=now)
    staff = make_staff()
    services.close_queue_now(centre.passports, "Passport system down", staff, now=now)

    refused = refusal(centre, now=now + dt.timedelta(minutes=1))

    assert refused.code == "queue_closed"
    assert refused.details == {"reason": "Passport system down"}
    assert "Passport system down" in refused.message
    waiting.refresh_from_db()
    assert waiting.status == TicketStatus.WAITING
    [(clerk, session), *_] = open_counters(centre, [centre.passports])
    called = services.call_next(session, clerk, now=now + dt.timedelta(minutes=2))
    assert called is not None and called.pk == waiting.pk
    # Only that queue, and only that day.
    assert issue(centre, centre.moving, now=now).display_number == "B001"
    assert issue(centre, now=copenhagen(WEDNESDAY, 9, 0)).display_number == "P001"
    assert TicketEvent.objects.filter(kind=EventKind.QUEUE_CLOSED).count() == 1


def test_an_inactive_centre_refuses_numbers() -> None:
    centre = make_centre()
    centre.location.active = False
    centre.location.save(update_fields=["active"])

    assert refusal(centre, now=copenhagen(TUESDAY, 11, 0)).code == "inactive"


def test_an_inactive_queue_takes_no_numbers() -> None:
    centre = make_centre()
    centre.passports.active = False
    centre.passports.save(update_fields=["active"])

    # No queue in use takes passports any more, so the service cannot be drawn here.
    assert refusal(centre, now=copenhagen(TUESDAY, 11, 0)).code == "no_queue"
    with pytest.raises(IssueRefused) as refused:
        services.check_can_issue(centre.passports, copenhagen(TUESDAY, 11, 0))
    assert refused.value.code == "inactive"


def test_an_inactive_queue_gives_way_to_an_active_one_taking_the_service() -> None:
    centre = make_centre()
    centre.general.services.add(centre.passport)
    centre.passports.active = False
    centre.passports.save(update_fields=["active"])

    assert issue(centre, now=copenhagen(TUESDAY, 11, 0)).display_number == "B001"


def test_a_service_no_queue_takes_is_refused() -> None:
    centre = make_centre()
    orphan = Service.objects.create(
        subject_area=centre.passport.subject_area, name="Vielse", slug="vielse-refusals"
    )

    assert refusal(centre, orphan, now=copenhagen(TUESDAY, 11, 0)).code == "no_queue"


def test_a_service_of_another_centre_is_refused() -> None:
    centre, other = make_centre(), make_centre()

    assert refusal(centre, other.passport, now=copenhagen(TUESDAY, 11, 0)).code == "no_queue"


def test_a_service_that_needs_an_appointment_takes_no_walk_in_number() -> None:
    centre = make_centre()
    centre.passport.walk_in = False
    centre.passport.save(update_fields=["walk_in"])
    now = copenhagen(TUESDAY, 11, 0)

    assert refusal(centre, now=now).code == "not_walk_in"
    # A checked-in appointment for it still gets its number.
    checked_in = services.issue_ticket(
        centre.location,
        centre.passport,
        source=Source.APPOINTMENT,
        priority=Priority.APPOINTMENT,
        now=now,
    )
    assert checked_in.display_number == "P001"


def test_an_inactive_service_takes_no_number_at_all() -> None:
    centre = make_centre()
    centre.passport.active = False
    centre.passport.save(update_fields=["active"])
    now = copenhagen(TUESDAY, 11, 0)

    assert refusal(centre, now=now).code == "not_walk_in"
    with pytest.raises(IssueRefused):
        services.issue_ticket(centre.location, centre.passport, source=Source.APPOINTMENT, now=now)


def test_a_back_office_queue_never_issues_numbers_directly() -> None:
    centre = make_centre()
    case_work = Service.objects.create(
        subject_area=centre.moving.subject_area, name="Sagsbehandling", slug="sag-refusals"
    )
    centre.back_office.services.add(case_work, centre.moving)
    now = copenhagen(TUESDAY, 11, 0)

    assert refusal(centre, case_work, now=now).code == "no_queue"
    # A service in both a front and a back-office queue is drawn in the front queue.
    assert issue(centre, centre.moving, now=now).queue_id == centre.general.pk
    assert not Ticket.objects.filter(first_queue=centre.back_office).exists()
