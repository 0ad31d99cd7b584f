"""Playing a demo-history script through the engine's own functions, and reading back what any
writer left, for comparing the bulk writer with the engine (test_demo_history_equal.py).

An appointment visit is played as its booking, written as booking.services.book leaves it
(booked, before the day), then checked in at the kiosk by booking.services.check_in. A booking
that never became a visit (script.MissedBooking) is not played: the engine would book it through
the calendar's places of a past day and record it by the sweep or a cancellation, so the bulk
writer's rows of those are checked on their own instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict

from skranke.booking.models import Appointment, AppointmentStatus
from skranke.booking.services import check_in
from skranke.catalogue.models import Queue, Service, SubjectArea
from skranke.core.demo_history import script
from skranke.organisation.models import Counter, Location, Team
from skranke.queue import services
from skranke.queue.models import (
    CancelReason,
    CounterSession,
    DailySequence,
    Outcome,
    Priority,
    Source,
    Ticket,
    TicketEvent,
    VisitFact,
)


def replay(steps: list[script.Step]) -> None:
    """Take every step with the engine's function at the step's time (``now=``); a call must
    call the visit the script says, by the engine's own call order."""
    users = {user.pk: user for user in get_user_model().objects.all()}
    sessions: dict[script.OpenCounter, CounterSession] = {}
    tickets: dict[script.Issue, Ticket] = {}
    for step in steps:
        match step:
            case script.OpenCounter():
                sessions[step] = services.open_counter(
                    Counter.objects.get(pk=step.counter_id),
                    users[step.staff_id],
                    list(Queue.objects.filter(pk__in=step.queue_ids)),
                    team=Team.objects.get(pk=step.team_id) if step.team_id else None,
                    now=step.at,
                )
            case script.CloseCounter():
                session = sessions[step.session]
                services.close_counter(session, users[session.staff_id], now=step.at)
            case script.Issue() if step.booking is not None:
                _book(step.booking)
                location = Location.objects.get(pk=step.location_id)
                tickets[step] = check_in(location, step.booking.code, now=step.at).ticket
            case script.Issue():
                tickets[step] = services.issue_ticket(
                    Location.objects.get(pk=step.location_id),
                    Service.objects.get(pk=step.service_id),
                    source=Source(step.source),
                    priority=Priority(step.priority),
                    staff=users[step.staff_id] if step.staff_id else None,
                    waiting_since=step.waiting_since,
                    now=step.at,
                )
            case script.Call():
                session = sessions[step.session]
                called = services.call_next(session, users[session.staff_id], now=step.at)
                assert called is not None, f"nobody called at {step.at}"
                assert called.pk == tickets[step.visit].pk, (
                    f"the engine called {called.display_number} at {step.at}, the script "
                    f"{tickets[step.visit].display_number}"
                )
                tickets[step.visit] = called
            case script.Recall():
                staff = users[sessions[step.session].staff_id]
                services.recall(tickets[step.visit], staff, now=step.at)
            case script.NoShow():
                staff = users[sessions[step.session].staff_id]
                services.mark_no_show(tickets[step.visit], staff, now=step.at)
            case script.Transfer():
                staff = users[sessions[step.session].staff_id]
                services.transfer(
                    tickets[step.visit], Queue.objects.get(pk=step.queue_id), staff, now=step.at
                )
            case script.Finish():
                services.finish(
                    tickets[step.visit],
                    users[sessions[step.session].staff_id],
                    outcome=Outcome(step.outcome),
                    subject_area=SubjectArea.objects.get(pk=step.subject_area_id),
                    referred_to=step.referred_to,
                    now=step.at,
                )
            case script.CitizenCancel():
                services.cancel(tickets[step.visit], CancelReason.CITIZEN, None, now=step.at)
            case script.CloseDay():
                services.close_days_before(step.day + dt.timedelta(days=1), now=step.at)
            case script.MissedBooking():
                pass


def _book(booking: script.Booking) -> None:
    """The booking as booking.services.book leaves it; the contact details are the demo's."""
    Appointment.objects.create(
        code=booking.code,
        secret_hash="0" * 64,
        location_id=booking.location_id,
        service_id=booking.service_id,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        name="Anna Jensen",
        phone="+4520000000",
        language=booking.language,
        status=AppointmentStatus.BOOKED,
        source=booking.source,
        created_by_id=booking.staff_id,
        created_at=booking.booked_at,
    )


def newest_ids() -> dict[str, int]:
    """Return the highest id of each table a script writes, to read back only what comes after."""
    return {
        model.__name__: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for model in (CounterSession, Ticket, TicketEvent, VisitFact, DailySequence, Appointment)
    }


def rows_after(before: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """Return every row written since ``before`` (newest_ids), field by field in id order, with
    ids and tokens left out and links to sessions and tickets replaced by their place in order."""
    sessions = list(CounterSession.objects.filter(pk__gt=before["CounterSession"]).order_by("pk"))
    tickets = list(Ticket.objects.filter(pk__gt=before["Ticket"]).order_by("pk"))
    session_place = {session.pk: place for place, session in enumerate(sessions)}
    ticket_place = {ticket.pk: place for place, ticket in enumerate(tickets)}
    return {
        "sessions": [
            {
                **_fields(session, exclude={"id", "queues"}),
                "queues": sorted(session.queues.values_list("pk", flat=True)),
            }
            for session in sessions
        ],
        "tickets": [
            {
                **_fields(ticket, exclude={"id", "token", "session"}),
                "session": session_place.get(ticket.session_id),
            }
            for ticket in tickets
        ],
        "events": [
            {
                **_fields(event, exclude={"id", "ticket"}),
                "ticket": ticket_place.get(event.ticket_id),
            }
            for event in TicketEvent.objects.filter(pk__gt=before["TicketEvent"]).order_by("pk")
        ],
        "visits": [
            {**_fields(fact, exclude={"id", "ticket"}), "ticket": ticket_place.get(fact.ticket_id)}
            for fact in VisitFact.objects.filter(pk__gt=before["VisitFact"]).order_by("pk")
        ],
        "sequences": sorted(
            DailySequence.objects.values_list("queue_id", "date", "last_number"),
        ),
        # In the order of their codes, as the two writers insert them in different orders; the
        # contact details, their erasure, the link secret and the reminder (the worker's, not
        # the day's) left out.
        "appointments": sorted(
            (
                {
                    **_fields(appointment, exclude=PRIVATE_TO_A_WRITER),
                    "ticket": ticket_place.get(appointment.ticket_id),
                }
                for appointment in Appointment.objects.filter(pk__gt=before["Appointment"])
            ),
            key=lambda row: row["code"],
        ),
    }


PRIVATE_TO_A_WRITER = {
    "id",
    "ticket",
    "messages",
    "name",
    "phone",
    "email",
    "erased_at",
    "secret_hash",
    "reminder_sent_at",
}


def _fields(instance: Any, exclude: set[str]) -> dict[str, Any]:
    values = model_to_dict(instance, exclude=sorted(exclude))
    # model_to_dict leaves out fields that are not editable; the rest are read from the row.
    for field in instance._meta.concrete_fields:
        if field.name not in exclude and field.name not in values:
            values[field.name] = getattr(instance, field.attname)
    return values
