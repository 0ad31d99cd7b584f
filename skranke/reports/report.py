"""The machine-readable report: one JSON-serialisable object with every figure of the KPI
engine for a ReportQuery (the CLI's ``skranke report --format json`` and ``GET /api/v1/reports``
print it as it is).

Units, the same everywhere in the object: times in minutes as floats with one decimal; shares
as fractions of 1 with three decimals (0.8 for 80 %, service goals' targets too); changes in %
with one decimal, (this − last) ÷ last × 100 over the same dates a year earlier. A figure that
cannot be computed (no visits, no goal, last year zero) is null, never an error. Hours,
weekdays and dates are the centre's local time. Queues are keyed by name, or by
"centre-slug/name" for a report over all centres (or over several).

``appointments`` holds two kinds of figure: the visits that came by appointment (``visits``,
their wait and service time, beside ``walk_ins``), and the bookings for a time in the period by
what became of them (``booked``, ``checked_in``, ``no_show``, ``cancelled``, the no-show rate;
kpi.appointments), whose year-earlier change is ``change_percent.bookings`` because
``change_percent.appointments`` already is the change in appointment visits.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from skranke.catalogue.models import Queue, Service, SubjectArea
from skranke.organisation.models import Location, Team
from skranke.queue.models import Outcome
from skranke.reports import rounding
from skranke.reports.kpi import (
    AppointmentCounts,
    AppointmentFigures,
    GoalResult,
    KeyFigures,
    PeriodFigures,
    TimeSummary,
    VisitCounts,
    VisitFilter,
    YearOnYear,
    appointment_figures,
    by_month,
    by_week,
    change_percent,
    counts_by_each,
    longest_waiting,
    period_figures,
)
from skranke.reports.models import GoalKind
from skranke.reports.query import ReportQuery

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LONGEST_WAITING = 5


def build_report(query: ReportQuery) -> dict[str, Any]:
    """Return the report for ``query`` (see the module's docstring for units and nulls).

    At least: visits.{total, served, no_show, cancelled, by_subject_area, by_queue, by_team,
    by_hour, by_weekday, by_month}, wait_minutes.{mean, median, p90, max, within_goal_share},
    service_minutes.{mean, median, p90, max}, goals[{name, target, value, met}],
    previous_year.visits.total and change_percent.visits; appointments.{booked, checked_in,
    no_show, cancelled, cancelled_by, no_show_rate, by_centre, by_service, by_month} with
    previous_year.appointments and change_percent.bookings. by_hour always holds "00".."23",
    by_weekday "monday".."sunday", by_month, by_week and by_day every month, ISO week and day
    of the period; by_subject_area, by_queue and by_team the values that occur, most visits
    first (visits without a team are left out of by_team); the bookings' by_centre every centre
    of the report, by_month every month, by_service the services booked, most bookings first.
    """
    visit_filter = VisitFilter(
        date_from=query.date_from, date_to=query.date_to, location_ids=query.location_ids
    )
    last_filter = visit_filter.a_year_earlier()
    # Each period's figures in four statements (kpi.period_figures), the calendar's counts and
    # the wait by subject area gathered on the way; the catalogue's counts in one more.
    current = period_figures(
        visit_filter,
        query.goal_minutes,
        counted_by=("issue_date", "issue_hour", "issue_weekday"),
        waits_by=("subject_area_id",),
    )
    previous = period_figures(
        last_filter, query.goal_minutes, counted_by=("issue_date", "subject_area_id")
    )
    compared = YearOnYear(this=current.key, last=previous.key, last_filter=last_filter)
    this, last = compared.this, compared.last
    # The bookings in one statement a period (kpi.appointment_figures).
    booked, booked_last = appointment_figures(visit_filter), appointment_figures(last_filter)
    centres = list(
        Location.objects.filter(pk__in=query.location_ids).order_by("sort_order", "name")
    )
    keyed_by_centre = query.all_locations or len(query.location_ids) > 1
    calendar, last_year = current.counts, previous.counts
    catalogue = counts_by_each(visit_filter, ("subject_area_id", "first_queue_id", "team_id"))
    per_day = calendar["issue_date"]
    return {
        "period": _period(visit_filter),
        "centres": [{"slug": centre.slug, "name": centre.name} for centre in centres],
        "visits": {
            **_visit_totals(this),
            "by_subject_area": _by_subject_area(catalogue["subject_area_id"]),
            "by_queue": _by_queue(catalogue["first_queue_id"], keyed_by_centre),
            "by_team": _by_team(catalogue["team_id"]),
            "by_hour": {
                f"{hour:02d}": counts.total for hour, counts in calendar["issue_hour"].items()
            },
            "by_weekday": {
                WEEKDAYS[day]: counts.total for day, counts in calendar["issue_weekday"].items()
            },
            "by_month": _totals(by_month(per_day)),
            "by_week": _totals(by_week(per_day)),
            "by_day": {day.isoformat(): counts.total for day, counts in per_day.items()},
        },
        "wait_minutes": _wait_minutes(this),
        "service_minutes": _minutes(this.service),
        **_appointments_and_walk_ins(current, _bookings(booked, centres)),
        "first_contact_resolution": _outcomes(this),
        "longest_waiting_subject_areas": _longest_waiting(current),
        "goals": [_goal(result, keyed_by_centre) for result in current.goals],
        "previous_year": {
            "period": _period(compared.last_filter),
            "visits": {
                **_visit_totals(last),
                "by_subject_area": _by_subject_area(last_year["subject_area_id"]),
                "by_month": _totals(by_month(last_year["issue_date"])),
            },
            "wait_minutes": _wait_minutes(last),
            "service_minutes": _minutes(last.service),
            "first_contact_resolution": rounding.share(
                last.outcomes.first_contact_resolution.fraction
            ),
            "appointments": _booking_counts(booked_last.total),
        },
        "change_percent": {
            **_changes(compared.changes()),
            "bookings": _booking_changes(booked.total, booked_last.total),
        },
    }


def _period(visit_filter: VisitFilter) -> dict[str, Any]:
    return {
        "from": visit_filter.date_from.isoformat(),
        "to": visit_filter.date_to.isoformat(),
        "days": len(visit_filter.days()),
    }


def _visit_totals(figures: KeyFigures) -> dict[str, int]:
    return {
        "total": figures.counts.total,
        "served": figures.counts.served,
        "no_show": figures.counts.no_show,
        "cancelled": figures.counts.cancelled,
    }


def _totals(counts: dict[str, VisitCounts]) -> dict[str, int]:
    return {label: found.total for label, found in counts.items()}


def _most_first(named: dict[str, int]) -> dict[str, int]:
    return dict(sorted(named.items(), key=lambda item: (-item[1], item[0])))


def _by_subject_area(found: dict[int, VisitCounts]) -> dict[str, int]:
    names = dict(SubjectArea.objects.filter(pk__in=found).values_list("pk", "name"))
    return _most_first({names[pk]: counts.total for pk, counts in found.items()})


def _queue_names(queue_ids: list[int], keyed_by_centre: bool) -> dict[int, str]:
    queues = Queue.objects.filter(pk__in=queue_ids).select_related("location")
    return {
        queue.pk: f"{queue.location.slug}/{queue.name}" if keyed_by_centre else queue.name
        for queue in queues
    }


def _by_queue(found: dict[int, VisitCounts], keyed_by_centre: bool) -> dict[str, int]:
    names = _queue_names(list(found), keyed_by_centre)
    named: dict[str, int] = {}
    # Two queues of one centre may share a name; their visits are then counted together.
    for pk, counts in found.items():
        named[names[pk]] = named.get(names[pk], 0) + counts.total
    return _most_first(named)


def _by_team(found: dict[int | None, VisitCounts]) -> dict[str, int]:
    names = dict(Team.objects.filter(pk__in=[pk for pk in found if pk]).values_list("pk", "name"))
    return _most_first({names[pk]: counts.total for pk, counts in found.items() if pk})


def _changes(changes: dict[str, Fraction | None]) -> dict[str, Any]:
    percent = {name: rounding.percent(change) for name, change in changes.items()}
    times = ("mean", "median", "p90", "max")
    return {
        **{
            name: percent[name]
            for name in ("visits", "served", "no_show", "cancelled", "appointments", "walk_ins")
        },
        "wait_minutes": {
            **{figure: percent[f"wait_{figure}"] for figure in times},
            "within_goal_share": percent["within_goal_share"],
        },
        "service_minutes": {figure: percent[f"service_{figure}"] for figure in times},
        "first_contact_resolution": percent["first_contact_resolution"],
    }


def _wait_minutes(figures: KeyFigures) -> dict[str, Any]:
    within = figures.within_goal.fraction if figures.within_goal is not None else None
    return {**_minutes(figures.wait), "within_goal_share": rounding.share(within)}


def _minutes(summary: TimeSummary) -> dict[str, Any]:
    return {
        "mean": rounding.minutes(summary.mean_seconds),
        "median": rounding.minutes(summary.median_seconds),
        "p90": rounding.minutes(summary.p90_seconds),
        "max": rounding.minutes(summary.max_seconds),
        "count": summary.count,
    }


def _appointments_and_walk_ins(period: PeriodFigures, bookings: dict[str, Any]) -> dict[str, Any]:
    figures = period.key
    waits, services = period.waits["is_appointment"], period.service_times["is_appointment"]
    visits = {
        key: {
            "visits": counts.total,
            "wait_minutes": _minutes(waits.get(appointment, TimeSummary())),
            "service_minutes": _minutes(services.get(appointment, TimeSummary())),
        }
        for key, appointment, counts in (
            ("appointments", True, figures.appointments),
            ("walk_ins", False, figures.walk_ins),
        )
    }
    return {**visits, "appointments": {**visits["appointments"], **bookings}}


def _booking_counts(counts: AppointmentCounts) -> dict[str, Any]:
    return {
        "booked": counts.booked,
        "checked_in": counts.checked_in,
        "no_show": counts.no_show,
        "cancelled": counts.cancelled,
        "cancelled_by": dict(counts.cancelled_by),
        "no_show_rate": rounding.share(counts.no_show_rate.fraction),
    }


def _bookings(figures: AppointmentFigures, centres: list[Location]) -> dict[str, Any]:
    names = dict(Service.objects.filter(pk__in=figures.by_service).values_list("pk", "name"))
    by_service: dict[str, AppointmentCounts] = {}
    # Two services may share a name (in different subject areas); they are counted together.
    for pk, counts in figures.by_service.items():
        by_service[names[pk]] = by_service.get(names[pk], AppointmentCounts()) + counts
    most_first = sorted(by_service.items(), key=lambda item: (-item[1].booked, item[0]))
    return {
        **_booking_counts(figures.total),
        "by_centre": {
            centre.slug: _booking_counts(figures.by_centre.get(centre.pk, AppointmentCounts()))
            for centre in centres
        },
        "by_service": {name: _booking_counts(counts) for name, counts in most_first},
        "by_month": {month: _booking_counts(counts) for month, counts in figures.by_month.items()},
    }


def _booking_changes(this: AppointmentCounts, last: AppointmentCounts) -> dict[str, Any]:
    last_values = last.values()
    return {
        name: rounding.percent(change_percent(value, last_values[name]))
        for name, value in this.values().items()
    }


def _outcomes(figures: KeyFigures) -> dict[str, Any]:
    outcomes = figures.outcomes
    return {
        "served": outcomes.served,
        "share": rounding.share(outcomes.first_contact_resolution.fraction),
        "outcomes": {
            outcome.value: rounding.share(outcomes.share(outcome).fraction) for outcome in Outcome
        },
    }


def _longest_waiting(period: PeriodFigures) -> list[dict[str, Any]]:
    found = longest_waiting(period.waits["subject_area_id"], LONGEST_WAITING)
    names = dict(
        SubjectArea.objects.filter(pk__in=[pk for pk, _ in found]).values_list("pk", "name")
    )
    return [{"name": names[pk], "wait_minutes": _minutes(summary)} for pk, summary in found]


def _goal(result: GoalResult, keyed_by_centre: bool) -> dict[str, Any]:
    goal = result.goal
    if goal.kind == GoalKind.CALLED_WITHIN:
        target, value = rounding.share(result.target), rounding.share(result.value)
    else:
        target, value = rounding.minutes(result.target), rounding.minutes(result.value)
    return {
        "name": str(goal.name),
        "target": target,
        "value": value,
        "met": result.met,
        "kind": goal.kind,
        "minutes": goal.minutes,
        "centre": goal.location.slug,
        "queue": (
            _queue_names([goal.queue_id], keyed_by_centre)[goal.queue_id]
            if goal.queue_id is not None
            else None
        ),
        "valid_from": goal.valid_from.isoformat(),
        "from": result.in_force.first_day.isoformat(),
        "to": result.in_force.last_day.isoformat(),
        "called": result.called,
    }
