"""Loads the demo municipality: two centres, their hours, catalogue, queues, teams and users.

Loading is idempotent: rows are found by their natural keys and brought back to the demo's
values, so running `skranke demo` twice changes nothing. Demo users keep a password that
someone changed after the first run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from skranke.access.models import ApiToken, DeviceAccount, DevicePurpose
from skranke.access.services import create_api_token, new_pairing_token, revoke_api_token
from skranke.catalogue.models import Queue, QueueKind, Service, SubjectArea
from skranke.core.demo_appointments_today import load_appointments_today
from skranke.core.demo_booking import load_booking_demo
from skranke.core.demo_data import COLLEAGUES, SERVICES, SUBJECT_AREAS
from skranke.core.demo_history import HistoryReport, default_first_day, ensure_history
from skranke.lib.localtime import local_date
from skranke.organisation.hours import current_interval
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
from skranke.queue import services
from skranke.queue.errors import IssueRefused
from skranke.queue.models import CounterSession, Source, Ticket, TicketStatus
from skranke.reports.models import GoalKind, ServiceGoal

DEMO_PASSWORD = "skranke-demo"  # noqa: S105 - printed for the demo's visitors on purpose

MON, TUE, WED, THU, FRI, SAT = range(6)


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role
    teams: tuple[str, ...]


DEMO_USERS = [
    DemoUser("medarbejder", "Mette", "Jensen", Role.COUNTER_STAFF, ("Team Borgerservice",)),
    DemoUser("teamleder", "Lars", "Nielsen", Role.TEAM_LEAD, ("Team Pas og kørekort",)),
    DemoUser("leder", "Birthe", "Andersen", Role.MANAGER, ()),
    DemoUser("admin", "Anne", "Holm", Role.ADMINISTRATOR, ()),
]


def _clock(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


# Weekly hours per centre and kind: (weekday, opens, closes).
TOWN_HALL_HOURS = {
    HoursKind.ATTENDANCE: [
        (MON, "10:00", "17:00"),
        (TUE, "10:00", "15:00"),
        (WED, "10:00", "15:00"),
        (THU, "10:00", "18:00"),
        (FRI, "10:00", "13:00"),
    ],
    HoursKind.TELEPHONE: [
        (MON, "09:00", "14:30"),
        (TUE, "09:00", "14:30"),
        (WED, "09:00", "14:30"),
        (THU, "09:00", "17:30"),
        (FRI, "09:00", "13:30"),
    ],
}
LIBRARY_HOURS = {
    HoursKind.ATTENDANCE: [
        (TUE, "12:00", "17:00"),
        (THU, "12:00", "17:00"),
        (SAT, "10:00", "13:00"),
    ],
    HoursKind.TELEPHONE: [],
}


@dataclass(frozen=True)
class DemoAccess:
    """Secrets made by a demo run, printed once: device pairing paths and the manager's token."""

    pairing_paths: list[tuple[DeviceAccount, str]]
    manager_token: str
    # What was simulated of the history this time (None when none was asked for).
    history: HistoryReport | None = None


@transaction.atomic
def load_demo(history_from: dt.date | None = None) -> DemoAccess:
    """Create or refresh every demo row in one transaction; returns the new secrets.

    With ``history_from``, the town hall's and the library's history from that day to
    yesterday is made where it is missing (skranke.core.demo_history); `skranke demo` asks for
    two full years plus this year so far, tests for a few days or none.
    """
    Municipality.objects.update_or_create(
        singleton=True, defaults={"name": "Demo Kommune", "code": "999"}
    )
    areas = _load_catalogue()
    town_hall = _location(
        "raadhuset",
        "Borgerservice Rådhuset",
        address="Torvet 1",
        phone="70 10 20 30",
        hours=TOWN_HALL_HOURS,
        counters=7,
        sort_order=1,
    )
    library = _location(
        "biblioteket",
        "Borgerservice Biblioteket",
        address="Biblioteksvej 4",
        phone="70 10 20 30",
        hours=LIBRARY_HOURS,
        counters=3,
        sort_order=2,
    )
    # A demonstration centre that takes numbers around the clock, so the kiosk and the API
    # work whenever someone tries the demo; its hours are a demo setting (always_open).
    around_the_clock = _location(
        "demo",
        "Demo-center (døgnåbent)",
        address="Demovej 1",
        phone="70 10 20 30",
        hours={
            HoursKind.ATTENDANCE: [(day, "00:00", "00:00") for day in range(7)],
            HoursKind.TELEPHONE: TOWN_HALL_HOURS[HoursKind.TELEPHONE],
        },
        counters=4,
        sort_order=3,
        always_open=True,
    )
    for centre in (town_hall, around_the_clock):
        _town_hall_queues(centre)
    _queue(
        library,
        "A",
        "Borgerservice",
        "Citizen service",
        areas=[slug for slug in areas if slug != "vielser"],
        quota=60,
        cutoff=10,
    )
    _teams(areas)
    _users([town_hall, around_the_clock])
    _colleagues()
    _service_goals(town_hall, library)
    load_booking_demo([town_hall, library, around_the_clock])
    history = None
    if history_from is not None:
        # Before the live floor, so the history's events come before today's.
        yesterday = local_date(timezone.now()) - dt.timedelta(days=1)
        history = ensure_history(history_from, yesterday)
    # Before the live floor, so its first counter is the one the morning's appointments met.
    load_appointments_today(around_the_clock)
    _live_floor(around_the_clock)
    pairing_paths = [
        (device, f"/devices/pair/{new_pairing_token(device)}/")
        for location in (town_hall, library, around_the_clock)
        for device in _devices(location)
    ]
    return DemoAccess(pairing_paths, _manager_token(), history)


def _town_hall_queues(location: Location) -> None:
    _queue(
        location,
        "P",
        "Pas og kørekort",
        "Passports and driving licences",
        areas=["pas", "koerekort"],
        quota=150,
        cutoff=15,
    )
    _queue(
        location,
        "B",
        "Borgerservice",
        "Citizen service",
        areas=["sygesikring", "folkeregister", "mitid", "digital-post", "valg", "information"],
        cutoff=10,
        # Wedding talks are by appointment only; the appointment is called from this queue.
        by_appointment=["vielser"],
    )
    _queue(
        location,
        "Y",
        "Ydelser, skat og opkrævning",
        "Benefits, tax and payments",
        areas=["skat", "pension", "boligstoette", "opkraevning"],
        cutoff=10,
    )
    _queue(location, "BO", "Back office", "Back office", areas=[], kind=QueueKind.BACK)


# Numbers drawn for the demo floor: (service, minutes ago), topped up to this many waiting.
DEMO_WAITING = [
    ("pas-voksen", 18),
    ("flytning", 14),
    ("sundhedskort", 11),
    ("koerekort-fornyelse", 9),
    ("mitid-udstedelse", 6),
    ("boligstoette", 4),
    ("digital-post-fritagelse", 2),
]


def _live_floor(location: Location) -> None:
    """Open two counters and make sure some citizens wait at the around-the-clock centre."""
    User = get_user_model()
    counters = list(location.counters.order_by("number"))
    for user, counter in zip(
        User.objects.filter(username__in=["medarbejder", "teamleder"]).order_by("username"),
        counters[:2],
        strict=False,
    ):
        if not CounterSession.objects.filter(staff=user, closed_at__isnull=True).exists():
            queues = list(location.queues.filter(kind=QueueKind.FRONT))
            services.open_counter(counter, user, queues)
    waiting = Ticket.objects.filter(location=location, status=TicketStatus.WAITING).count()
    now = timezone.now()
    # Just after midnight the citizens arrived today, not minutes before (yesterday's numbers).
    today = current_interval(location, now)
    opened = today.start if today is not None else now
    for slug, minutes_ago in DEMO_WAITING[waiting:]:
        try:
            services.issue_ticket(
                location,
                Service.objects.get(slug=slug),
                source=Source.KIOSK,
                now=max(now - dt.timedelta(minutes=minutes_ago), opened),
            )
        except IssueRefused:
            # Loaded in the minutes before the day's cut-off (midnight, around the clock): the
            # floor starts with the citizens who could still draw a number.
            continue


def _devices(location: Location) -> list[DeviceAccount]:
    first_counter = location.counters.order_by("number").first()
    devices = []
    for purpose, name, counter in [
        (DevicePurpose.KIOSK, "Kiosk ved indgangen", None),
        (DevicePurpose.DISPLAY, "Skærm i venteområdet", None),
        (DevicePurpose.COUNTER_SCREEN, "Skærm ved skranke 1", first_counter),
    ]:
        device, _created = DeviceAccount.objects.update_or_create(
            location=location, name=name, defaults={"purpose": purpose, "counter": counter}
        )
        devices.append(device)
    return devices


def _manager_token() -> str:
    """Return a fresh demo token for the manager; the previous demo token is revoked."""
    manager = get_user_model().objects.get(username="leder")
    for token in ApiToken.objects.filter(user=manager, name="Demo", revoked_at__isnull=True):
        revoke_api_token(token)
    _token, secret = create_api_token(manager, "Demo")
    return secret


def _load_catalogue() -> dict[str, SubjectArea]:
    areas = {}
    for order, area in enumerate(SUBJECT_AREAS, start=1):
        areas[area["slug"]], _created = SubjectArea.objects.update_or_create(
            slug=area["slug"],
            defaults={"name": area["name"], "name_en": area["name_en"], "sort_order": order},
        )
    for order, service in enumerate(SERVICES, start=1):
        Service.objects.update_or_create(
            slug=service["slug"],
            defaults={
                "subject_area": areas[service["area"]],
                "name": service["name"],
                "name_en": service["name_en"],
                "typical_duration": service["minutes"],
                "bookable": service.get("bookable", False),
                "walk_in": service.get("walk_in", True),
                "what_to_bring": service.get("bring", ""),
                "what_to_bring_en": service.get("bring_en", ""),
                "sort_order": order,
            },
        )
    return areas


def _location(
    slug: str,
    name: str,
    *,
    address: str,
    phone: str,
    hours: dict[HoursKind, list[tuple[int, str, str]]],
    counters: int,
    sort_order: int,
    always_open: bool = False,
) -> Location:
    location, _created = Location.objects.update_or_create(
        slug=slug,
        defaults={
            "name": name,
            "address": address,
            "postal_code": "9999",
            "city": "Demoby",
            "phone": phone,
            "sort_order": sort_order,
            "always_open": always_open,
        },
    )
    location.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(
            location=location, kind=kind, weekday=day, opens=_clock(opens), closes=_clock(closes)
        )
        for kind, rows in hours.items()
        for day, opens, closes in rows
    )
    for number in range(1, counters + 1):
        Counter.objects.update_or_create(
            location=location, number=number, defaults={"name": "", "active": True}
        )
    return location


def _queue(
    location: Location,
    prefix: str,
    name: str,
    name_en: str,
    *,
    areas: list[str],
    quota: int | None = None,
    cutoff: int = 0,
    kind: QueueKind = QueueKind.FRONT,
    by_appointment: tuple[str, ...] | list[str] = (),
) -> Queue:
    queue, _created = Queue.objects.update_or_create(
        location=location,
        prefix=prefix,
        defaults={
            "name": name,
            "name_en": name_en,
            "kind": kind,
            "daily_quota": quota,
            "cutoff_minutes": cutoff,
        },
    )
    queue.services.set(
        Service.objects.filter(
            Q(subject_area__slug__in=areas, walk_in=True)
            | Q(subject_area__slug__in=by_appointment, bookable=True)
        )
    )
    return queue


TEAMS = {
    "Team Pas og kørekort": (TeamKind.FRONT, ["pas", "koerekort"]),
    "Team Borgerservice": (
        TeamKind.FRONT,
        ["sygesikring", "folkeregister", "mitid", "digital-post", "valg", "information"],
    ),
    "Team Ydelser": (TeamKind.BACK, ["skat", "pension", "boligstoette", "opkraevning"]),
    "Team Vielser": (TeamKind.BACK, ["vielser"]),
}


def _teams(areas: dict[str, SubjectArea]) -> None:
    for name, (kind, slugs) in TEAMS.items():
        team, _created = Team.objects.update_or_create(name=name, defaults={"kind": kind})
        team.subject_areas.set([areas[slug] for slug in slugs])


def _users(homes: list[Location]) -> None:
    User = get_user_model()
    read_only = Permission.objects.filter(
        content_type__app_label__in=["organisation", "catalogue", "reports"],
        codename__startswith="view_",
    )
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={"first_name": demo.first_name, "last_name": demo.last_name},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        user.is_staff = True
        user.is_superuser = demo.role == Role.ADMINISTRATOR
        user.save()
        if not user.is_superuser:
            user.user_permissions.set(read_only)
        profile, _created = StaffProfile.objects.update_or_create(
            user=user, defaults={"role": demo.role}
        )
        profile.teams.set(Team.objects.filter(name__in=demo.teams))
        profile.locations.set(homes if demo.role == Role.COUNTER_STAFF else [])


def _colleagues() -> None:
    """The counter staff of the history (demo_data.COLLEAGUES): no password, no demo login."""
    User = get_user_model()
    for colleague in COLLEAGUES:
        user, created = User.objects.get_or_create(
            username=colleague["username"],
            defaults={
                "first_name": colleague["first_name"],
                "last_name": colleague["last_name"],
            },
        )
        if created:
            user.set_unusable_password()
            user.save()
        profile, _created = StaffProfile.objects.update_or_create(
            user=user, defaults={"role": Role.COUNTER_STAFF}
        )
        profile.teams.set(Team.objects.filter(name__in=colleague["teams"]))
        profile.locations.set(Location.objects.filter(slug=colleague["centre"]))


def _service_goals(town_hall: Location, library: Location) -> None:
    """Set the demo's service goals once: a centre that has goals keeps its own.

    The town hall promised 80 % called within 15 minutes and a mean wait of at most 10 from the
    start of the history, then tightened the first to 10 minutes a year later; passports have
    a goal of their own; the library promises a mean wait of at most 12 minutes.
    """
    start = default_first_day(local_date(timezone.now()))
    tightened = start.replace(year=start.year + 1)
    passports = town_hall.queues.get(prefix="P")
    goals = {
        town_hall: [
            ServiceGoal(
                kind=GoalKind.CALLED_WITHIN, minutes=15, target_percent=80, valid_from=start
            ),
            ServiceGoal(kind=GoalKind.MEAN_WAIT, minutes=10, valid_from=start),
            ServiceGoal(
                kind=GoalKind.CALLED_WITHIN, minutes=10, target_percent=80, valid_from=tightened
            ),
            ServiceGoal(
                queue=passports,
                kind=GoalKind.CALLED_WITHIN,
                minutes=20,
                target_percent=75,
                valid_from=start,
            ),
        ],
        library: [ServiceGoal(kind=GoalKind.MEAN_WAIT, minutes=12, valid_from=start)],
    }
    for location, wanted in goals.items():
        if not ServiceGoal.objects.filter(location=location).exists():
            for goal in wanted:
                goal.location = location
            ServiceGoal.objects.bulk_create(wanted)
