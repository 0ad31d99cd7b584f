"""The report figure's data: twenty centres and ten million visit records, generated once.

`python -m bench.report_data ROWS` (Django settings from the environment, the database already
migrated) makes sure the database holds the centres, catalogue, teams, counters, opening hours
and service goals below and exactly ROWS visit records of this VERSION; it refills the records
only when the marker table `bench_report_data` names another version or row count, or the
table holds another count. It prints one JSON object: the rows, whether they were generated
now, the report's year and the centres' ids.

The shape (all deterministic):
- twenty centres of one region, sized like their towns, open Monday to Friday (Thursday long,
  Friday short), closed on Danish public holidays as `day_hours` has it;
- the visits of 2022-01-01 to 2025-06-30 spread over centres and opening days by centre size,
  season (passports in spring, a quiet July), weekday and a slow yearly decline, so that every
  centre's days add up to exactly ROWS; the first half year is history imported from a former
  system (source `import`, no service, an import key, no team);
- within a day, arrivals peak around midday; waits are log-normal (longer in busy hours, months
  and centres; short for checked-in appointments); service times log-normal around each
  service's typical duration; every ending (served, no-show, cancelled by the citizen, by staff
  or at closing), transfers to back office with their second wait and leg, outcomes with
  referrals.

The records themselves are written by one INSERT … SELECT in PostgreSQL (bench.report_fill).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skranke.settings")
django.setup()

from django.db import transaction  # noqa: E402

from bench import report_fill  # noqa: E402
from bench.report_fill import APPOINTMENT_SLOT  # noqa: E402
from skranke.catalogue.models import Queue, QueueKind, Service, SubjectArea  # noqa: E402
from skranke.lib.localtime import local_zone  # noqa: E402
from skranke.organisation.hours import day_hours  # noqa: E402
from skranke.organisation.models import (  # noqa: E402
    Counter,
    HoursKind,
    Location,
    OpeningHours,
    Team,
    TeamKind,
)
from skranke.reports.models import GoalKind, ServiceGoal  # noqa: E402

# Bump when anything below changes what the records hold, so older records are replaced.
VERSION = 1
FIRST_DAY = dt.date(2022, 1, 1)
LAST_DAY = dt.date(2025, 6, 30)
# History before this day came from the former system (source "import").
LIVE_FROM = dt.date(2022, 7, 1)
REPORT_YEAR = 2024

# Slug, town, relative size (visits), and how long its citizens wait relative to the rest.
CENTRES = [
    ("aarhus", "Aarhus", 10.0, 1.35),
    ("randers", "Randers", 3.6, 1.1),
    ("silkeborg", "Silkeborg", 3.4, 0.9),
    ("herning", "Herning", 3.3, 1.0),
    ("horsens", "Horsens", 3.4, 1.2),
    ("viborg", "Viborg", 3.0, 0.85),
    ("holstebro", "Holstebro", 2.2, 0.9),
    ("skanderborg", "Skanderborg", 2.3, 1.05),
    ("favrskov", "Favrskov", 1.9, 0.8),
    ("hedensted", "Hedensted", 1.8, 0.75),
    ("ikast-brande", "Ikast-Brande", 1.6, 0.8),
    ("ringkobing-skjern", "Ringkøbing-Skjern", 2.1, 0.7),
    ("syddjurs", "Syddjurs", 1.7, 0.9),
    ("norddjurs", "Norddjurs", 1.5, 0.95),
    ("skive", "Skive", 1.8, 0.85),
    ("struer", "Struer", 0.9, 0.7),
    ("lemvig", "Lemvig", 0.8, 0.65),
    ("odder", "Odder", 0.9, 0.8),
    ("samso", "Samsø", 0.15, 0.5),
    ("aarhus-nord", "Aarhus Nord", 2.5, 1.15),
]

# Queue slot: prefix, Danish and English name, kind (report_fill names the slots of checked-in
# appointments and of the back office).
QUEUES = [
    ("P", "Pas og kørekort", "Passports and driving licences", QueueKind.FRONT),
    ("B", "Borgerservice", "Citizen service", QueueKind.FRONT),
    ("Y", "Ydelser og pension", "Benefits and pensions", QueueKind.FRONT),
    ("M", "MitID og Digital Post", "MitID and Digital Post", QueueKind.FRONT),
    ("T", "Tidsbestilling", "Appointments", QueueKind.FRONT),
    ("X", "Bagkontor", "Back office", QueueKind.BACK),
]

# Subject area (slug, Danish, English) and its services: slug, Danish, English, typical
# minutes, bookable, share of visits, queue slot for walk-ins.
CATALOGUE: list[tuple[tuple[str, str, str], list[tuple[str, str, str, int, bool, float, int]]]] = [
    (
        ("pas", "Pas", "Passports"),
        [
            ("nyt-pas", "Nyt pas", "New passport", 9, True, 13.0, 1),
            ("noedpas", "Nødpas", "Emergency passport", 12, False, 0.6, 1),
        ],
    ),
    (
        ("koerekort", "Kørekort", "Driving licences"),
        [
            (
                "fornyelse-koerekort",
                "Fornyelse af kørekort",
                "Driving licence renewal",
                8,
                True,
                7.5,
                1,
            ),
            ("koereproeve", "Kørekort efter prøve", "Licence after test", 10, True, 2.5, 1),
        ],
    ),
    (
        ("sygesikring", "Sygesikring", "Health insurance"),
        [
            ("sundhedskort", "Sundhedskort", "Health card", 5, False, 6.0, 2),
            ("laegevalg", "Skift af læge", "Change of doctor", 6, False, 2.5, 2),
        ],
    ),
    (
        ("folkeregister", "Folkeregister", "Civil registration"),
        [("flytning", "Flytning", "Moving house", 7, False, 7.0, 2)],
    ),
    (
        ("skat", "Skat", "Tax"),
        [("forskudsopgoerelse", "Forskudsopgørelse", "Preliminary tax", 12, False, 5.0, 2)],
    ),
    (
        ("pension", "Pension", "Pensions"),
        [("folkepension", "Folkepension", "State pension", 15, True, 4.0, 3)],
    ),
    (
        ("boligstoette", "Boligstøtte", "Housing benefit"),
        [
            (
                "boligstoette-ansoegning",
                "Ansøgning om boligstøtte",
                "Housing benefit claim",
                14,
                False,
                4.5,
                3,
            )
        ],
    ),
    (
        ("opkraevning", "Opkrævning", "Payments"),
        [("afdragsordning", "Afdragsordning", "Instalment plan", 11, False, 2.5, 3)],
    ),
    (
        ("mitid", "MitID", "MitID"),
        [
            ("mitid-oprettelse", "Oprettelse af MitID", "New MitID", 14, True, 9.0, 4),
            ("mitid-hjaelp", "Hjælp til MitID", "Help with MitID", 9, False, 5.0, 4),
        ],
    ),
    (
        ("digital-post", "Digital Post", "Digital Post"),
        [
            (
                "fritagelse-digital-post",
                "Fritagelse for Digital Post",
                "Digital Post exemption",
                8,
                False,
                3.5,
                4,
            )
        ],
    ),
    (
        ("vielser", "Vielser", "Weddings"),
        [("proevelse-aegteskab", "Prøvelse af ægteskab", "Marriage check", 25, True, 1.2, 2)],
    ),
    (
        ("valg", "Valg", "Elections"),
        [("brevstemme", "Brevstemme", "Postal vote", 6, False, 0.8, 2)],
    ),
    (
        ("information", "Information og andet", "Information and other"),
        [("information", "Information", "Information", 4, False, 9.0, 2)],
    ),
]

# Demand and waits over the year (passports before the summer holidays) and the week.
MONTH_DEMAND = (0.95, 1.0, 1.12, 1.2, 1.22, 1.2, 0.7, 0.95, 1.0, 0.98, 0.95, 0.8)
MONTH_WAIT = (0.95, 1.0, 1.12, 1.25, 1.3, 1.35, 0.8, 1.0, 0.95, 0.95, 0.9, 0.85)
WEEKDAY_DEMAND = (1.25, 1.0, 0.95, 1.15, 0.8)
WEEKDAY_WAIT = (1.25, 1.0, 0.95, 1.1, 0.9)
# Personal visits fall a little each year as self-service grows; waits shorten with them.
YEARLY_DEMAND = 0.96
YEARLY_WAIT = 0.93
WAIT_MEDIAN_SECONDS = 330.0
# Weekly hours: Monday-Wednesday, Thursday and Friday; the five largest centres open at 9.
HOURS = {0: (10, 0, 15, 0), 1: (10, 0, 15, 0), 2: (10, 0, 15, 0), 3: (10, 0, 17, 30),
         4: (10, 0, 13, 0)}  # fmt: skip


@dataclass(frozen=True)
class Centre:
    location: Location
    size: float
    waits: float
    queues: list[int]
    counters: list[int]
    front_team: int
    back_team: int
    weekly_hours: tuple[Any, ...]


def _catalogue() -> list[tuple[Service, float, int]]:
    services = []
    for order, ((area_slug, area_name, area_en), offered) in enumerate(CATALOGUE):
        area, _created = SubjectArea.objects.get_or_create(
            slug=area_slug, defaults={"name": area_name, "name_en": area_en, "sort_order": order}
        )
        for slug, name, name_en, minutes, bookable, share, slot in offered:
            service, _created = Service.objects.get_or_create(
                slug=slug,
                defaults={
                    "subject_area": area,
                    "name": name,
                    "name_en": name_en,
                    "typical_duration": minutes,
                    "bookable": bookable,
                },
            )
            services.append((service, share, slot))
    return services


def _centre(
    order: int, slug: str, town: str, size: float, services: list[tuple[Service, float, int]]
) -> Location:
    location, created = Location.objects.get_or_create(
        slug=f"bench-{slug}",
        defaults={
            "name": f"Borgerservice {town}",
            "address": "Rådhuspladsen 1",
            "city": town,
            "sort_order": order,
        },
    )
    if not created:
        return location
    opens_at_nine = size >= 3.3
    for weekday, (open_hour, open_minute, close_hour, close_minute) in HOURS.items():
        OpeningHours.objects.create(
            location=location,
            kind=HoursKind.ATTENDANCE,
            weekday=weekday,
            opens=dt.time(9 if opens_at_nine else open_hour, open_minute),
            closes=dt.time(close_hour, close_minute),
        )
    for slot, (prefix, name, name_en, kind) in enumerate(QUEUES, start=1):
        queue = Queue.objects.create(
            location=location, prefix=prefix, name=name, name_en=name_en, kind=kind,
            sort_order=slot,
        )  # fmt: skip
        queue.services.set(
            [
                service
                for service, _share, walk_in_slot in services
                if walk_in_slot == slot or (slot == APPOINTMENT_SLOT and service.bookable)
            ]
        )
    Counter.objects.bulk_create(
        Counter(location=location, number=number) for number in range(1, 4 + round(size * 2))
    )
    Team.objects.create(name=f"Front {town}", kind=TeamKind.FRONT)
    Team.objects.create(name=f"Bagkontor {town}", kind=TeamKind.BACK)
    # Every centre promises 80 % called within 15 minutes, tightened to 10 from 2023; the
    # larger ones also a mean wait of at most 12 minutes.
    for minutes, valid_from in ((15, dt.date(2021, 1, 1)), (10, dt.date(2023, 1, 1))):
        ServiceGoal.objects.create(
            location=location, kind=GoalKind.CALLED_WITHIN, minutes=minutes,
            target_percent=80, valid_from=valid_from,
        )  # fmt: skip
    if size >= 2:
        ServiceGoal.objects.create(
            location=location, kind=GoalKind.MEAN_WAIT, minutes=12, valid_from=dt.date(2021, 1, 1)
        )
    return location


def reference_data() -> tuple[list[Centre], list[tuple[Service, float, int]]]:
    """Create (or find) the centres and what their visits refer to."""
    with transaction.atomic():
        services = _catalogue()
        centres = []
        for order, (slug, town, size, waits) in enumerate(CENTRES):
            location = _centre(order, slug, town, size, services)
            queues = {queue.sort_order: queue.pk for queue in location.queues.all()}
            centres.append(
                Centre(
                    location=location,
                    size=size,
                    waits=waits,
                    queues=[queues[slot] for slot in range(1, len(QUEUES) + 1)],
                    counters=list(
                        location.counters.order_by("number").values_list("pk", flat=True)
                    ),
                    front_team=Team.objects.get(name=f"Front {town}").pk,
                    back_team=Team.objects.get(name=f"Bagkontor {town}").pk,
                    weekly_hours=tuple(
                        location.opening_hours.order_by("weekday", "opens").values_list(
                            "weekday", "opens", "closes"
                        )
                    ),
                )
            )
    return centres, services


def _opening(centre: Centre, day: dt.date, known: dict[Any, tuple[int, int] | None]) -> Any:
    """Return the centre's opening on ``day`` as (local seconds at opening, seconds open), or
    None when closed, as `day_hours` decides; centres with the same weekly hours share it."""
    weekly = centre.weekly_hours
    if (weekly, day) not in known:
        hours = day_hours(centre.location, day).intervals
        if hours:
            opens = hours[0].start.astimezone(local_zone())
            closes = hours[-1].end.astimezone(local_zone())
            opens_seconds = opens.hour * 3600 + opens.minute * 60
            known[(weekly, day)] = (
                opens_seconds,
                closes.hour * 3600 + closes.minute * 60 - opens_seconds,
            )
        else:
            known[(weekly, day)] = None
    return known[(weekly, day)]


def cells(centres: list[Centre], rows: int) -> list[dict[str, Any]]:
    """Return one cell per centre and opening day: its visits (adding up to ``rows``), its
    opening interval as local seconds, its median walk-in wait and what its visits refer to."""
    found: list[dict[str, Any]] = []
    known: dict[Any, tuple[int, int] | None] = {}
    day = FIRST_DAY
    while day <= LAST_DAY:
        years = (day - FIRST_DAY).days / 365.25
        for centre in centres:
            opening = _opening(centre, day, known)
            if opening is None:
                continue
            opens_seconds, span = opening
            weekday = day.weekday()
            found.append(
                {
                    "location_id": centre.location.pk,
                    "day": day,
                    "weekday": weekday,
                    "weight": centre.size
                    * MONTH_DEMAND[day.month - 1]
                    * WEEKDAY_DEMAND[weekday]
                    * YEARLY_DEMAND**years
                    * span
                    / 18000,
                    "opens_seconds": opens_seconds,
                    "span_seconds": span,
                    "wait_median": WAIT_MEDIAN_SECONDS
                    * centre.waits
                    * MONTH_WAIT[day.month - 1]
                    * WEEKDAY_WAIT[weekday]
                    * YEARLY_WAIT**years,
                    "imported": day < LIVE_FROM,
                    "queues": centre.queues,
                    "counters": centre.counters,
                    "front_team": centre.front_team,
                    "back_team": centre.back_team,
                }
            )
        day += dt.timedelta(days=1)
    _apportion(found, rows)
    return found


def _apportion(found: list[dict[str, Any]], rows: int) -> None:
    """Give each cell its share of ``rows`` by weight, rounded so that they add up exactly
    (largest remainder), and the number of the first visit before it."""
    total = sum(cell["weight"] for cell in found)
    exact = [cell["weight"] * rows / total for cell in found]
    visits = [int(share) for share in exact]
    by_remainder = sorted(range(len(found)), key=lambda index: visits[index] - exact[index])
    for index in by_remainder[: rows - sum(visits)]:
        visits[index] += 1
    before = 0
    for cell, count in zip(found, visits, strict=True):
        cell["visits"] = count
        cell["first_number"] = before
        before += count


def ensure(rows: int) -> dict[str, Any]:
    """Make sure the database holds the reference data and ``rows`` visit records of VERSION;
    returns what bench.report_measure needs."""
    centres, services = reference_data()
    generated = False
    if not report_fill.is_current(VERSION, rows):
        report_fill.fill(VERSION, rows, cells(centres, rows), services)
        generated = True
    return {
        "rows": rows,
        "version": VERSION,
        "generated": generated,
        "year": REPORT_YEAR,
        "first_day": FIRST_DAY.isoformat(),
        "last_day": LAST_DAY.isoformat(),
        "centres": len(centres),
        "location_ids": [centre.location.pk for centre in centres],
    }


if __name__ == "__main__":
    print(json.dumps(ensure(int(sys.argv[1]))))
