"""The world the access walk (test_access_walk.py) runs in, and the callers who knock.

Two centres, A and B, built alike: queues, services, three counters (the first held by "the
serving employee" with a number called to it, the second by a colleague serving a citizen, the
third free), a waiting number, a no-show and a parked number of today, a closed back-office
queue, staff of every role limited to that centre, one paired device of each kind, and a device
waiting to be paired. Private data of a centre (staff names, internal notes on numbers, API
token names) carries the centre's secret marker, so an answer that shows it to anyone but that
centre's staff is caught whatever page or endpoint gave it away.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from http.cookies import SimpleCookie

from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.utils import timezone

from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.models import ApiToken, DeviceAccount, DevicePurpose
from skranke.access.permissions import DeviceRole
from skranke.access.services import create_api_token, new_pairing_token, pair_device
from skranke.booking.models import (
    Appointment,
    BookingCalendar,
    BookingSetup,
    CapacityChange,
    WeeklyCapacity,
)
from skranke.booking.services import book, clean_contact
from skranke.catalogue.models import Queue, QueueKind, Service, SubjectArea
from skranke.jobs.models import Job, PeriodicSchedule
from skranke.lib.localtime import wall_clock_instant
from skranke.messaging.models import Channel, Message
from skranke.organisation.models import (
    MIDNIGHT,
    AccessibilityStatement,
    Counter,
    Location,
    Municipality,
    OpeningException,
    Role,
    StaffProfile,
    Team,
    TeamKind,
)
from skranke.queue import services
from skranke.queue.models import CounterSession, Outcome, QueueClosure, Source, Ticket
from skranke.reports.models import GoalKind, ServiceGoal

# The apps whose rows every employee may look at in the admin, as the demo grants it; the
# administrator role gets every model permission (the demo makes administrators superusers, but
# a superuser cannot be limited to one centre).
READ_ONLY_ADMIN_APPS = ("organisation", "catalogue", "reports")


def has_django_permission(role: Role, app_label: str, action: str) -> bool:
    """Return whether the walk's staff of ``role`` hold Django's ``action`` permission on the
    models of ``app_label`` (the grant made by `_grant_admin_permissions`)."""
    if role == Role.ADMINISTRATOR:
        return True
    return action == "view" and app_label in READ_ONLY_ADMIN_APPS


def _grant_admin_permissions(user: User, role: Role) -> None:
    if role == Role.ADMINISTRATOR:
        user.user_permissions.set(Permission.objects.all())
        return
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=READ_ONLY_ADMIN_APPS, codename__startswith="view_"
        )
    )


@dataclass
class CentreWorld:
    """One centre of the walk and everything in it; the path parameters come from A's."""

    key: str
    secret: str
    location: Location
    area: SubjectArea
    passport: Service
    passports: Queue
    general: Queue
    back_office: Queue
    held: Counter  # held by `server`, with `called` at it
    busy: Counter  # held by a colleague, with `serving` at it
    free: Counter  # no session
    server: User
    session: CounterSession
    called: Ticket
    serving: Ticket
    waiting: Ticket
    no_show: Ticket
    parked: Ticket
    closure: QueueClosure
    exception: OpeningException
    goal: ServiceGoal
    calendar: BookingCalendar
    capacity_change: CapacityChange
    # Booked for tomorrow noon by a citizen whose name carries the centre's secret marker.
    appointment: Appointment
    appointment_secret: str
    staff: dict[Role, User]
    devices: dict[DevicePurpose, DeviceAccount]
    credentials: dict[DevicePurpose, str]
    pairing_token: str


def _staff(username: str, role: Role, location: Location) -> User:
    # The names carry the centre's secret marker: they are the centre's private data.
    user = User.objects.create_user(
        username=username,
        password="a-long-test-password",
        first_name=username,
        last_name="walk",
        is_staff=True,
    )
    profile = StaffProfile.objects.create(user=user, role=role)
    profile.locations.set([location])
    _grant_admin_permissions(user, role)
    return user


def _issue(location: Location, service: Service, secret: str, staff: User) -> Ticket:
    return services.issue_ticket(
        location,
        service,
        source=Source.FLOOR_GUIDE,
        note=f"{secret} internal note",
        staff=staff,
    )


def seed_centre(key: str, name: str, slug: str, secret: str) -> CentreWorld:
    """Build one centre of the walk (see the module docstring)."""
    location = Location.objects.create(name=name, slug=slug, always_open=True)
    area = SubjectArea.objects.create(name=f"Pas {key}", slug=f"pas-{slug}")
    passport = Service.objects.create(
        subject_area=area,
        name=f"Pas {key}",
        slug=f"pas-voksen-{slug}",
        typical_duration=15,
        bookable=True,
    )
    moving_area = SubjectArea.objects.create(name=f"Folkeregister {key}", slug=f"flyt-{slug}")
    moving = Service.objects.create(
        subject_area=moving_area, name=f"Flytning {key}", slug=f"flyt-{slug}", typical_duration=8
    )
    passports = Queue.objects.create(location=location, prefix="P", name="Pas")
    passports.services.set([passport])
    general = Queue.objects.create(location=location, prefix="B", name="Borgerservice")
    general.services.set([moving])
    back_office = Queue.objects.create(
        location=location, prefix="BO", name="Back office", kind=QueueKind.BACK
    )
    held, busy, free = (
        Counter.objects.create(location=location, number=number) for number in (1, 2, 3)
    )
    exception = OpeningException.objects.create(
        location=location,
        date=timezone.localdate() + dt.timedelta(days=30),
        reason="Lukket for personalemøde",
    )

    staff = {role: _staff(f"{secret}-{role.value}", role, location) for role in Role}
    server = _staff(f"{secret}-serving", Role.COUNTER_STAFF, location)
    colleague = _staff(f"{secret}-colleague", Role.COUNTER_STAFF, location)
    session = services.open_counter(held, server, [passports, general])
    other_session = services.open_counter(busy, colleague, [passports, general])

    def called_at(session: CounterSession, by: User) -> Ticket:
        ticket = _issue(location, passport, secret, staff[Role.COUNTER_STAFF])
        services.call_ticket(session, ticket, by)
        # Recalled as often as a no-show needs, so every action at the counter may follow.
        for _recall in range(settings.SKRANKE_NO_SHOW_AFTER_RECALLS):
            services.recall(ticket, by)
        return ticket

    no_show = services.mark_no_show(called_at(session, server), server)
    parked = services.park(called_at(session, server), server)
    serving = services.start_serving(called_at(other_session, colleague), colleague)
    called = called_at(session, server)
    waiting = _issue(location, passport, secret, staff[Role.COUNTER_STAFF])
    closure = services.close_queue_now(back_office, "Lukket i dag", staff[Role.TEAM_LEAD])

    devices: dict[DevicePurpose, DeviceAccount] = {}
    credentials: dict[DevicePurpose, str] = {}
    for purpose in DevicePurpose:
        device = DeviceAccount.objects.create(
            location=location,
            purpose=purpose,
            name=f"{key} {purpose.label}",
            counter=held if purpose == DevicePurpose.COUNTER_SCREEN else None,
        )
        paired = pair_device(new_pairing_token(device))
        assert paired is not None
        devices[purpose], credentials[purpose] = paired
    waiting_device = DeviceAccount.objects.create(
        location=location, purpose=DevicePurpose.KIOSK, name=f"{key} new kiosk"
    )
    calendar, capacity_change = _booking_calendar(location, passport, secret)
    booked = book(
        location,
        passport,
        at_tomorrow(12),
        clean_contact(f"{secret} borger", phone="20304050"),
        send_confirmation=False,
    )
    return CentreWorld(
        key=key,
        secret=secret,
        location=location,
        area=area,
        passport=passport,
        passports=passports,
        general=general,
        back_office=back_office,
        held=held,
        busy=busy,
        free=free,
        server=server,
        session=session,
        called=Ticket.objects.get(pk=called.pk),
        serving=Ticket.objects.get(pk=serving.pk),
        waiting=waiting,
        no_show=Ticket.objects.get(pk=no_show.pk),
        parked=Ticket.objects.get(pk=parked.pk),
        closure=closure,
        exception=exception,
        goal=ServiceGoal.objects.create(
            location=location,
            kind=GoalKind.CALLED_WITHIN,
            minutes=10,
            target_percent=80,
            valid_from=dt.date(2026, 1, 1),
        ),
        calendar=calendar,
        capacity_change=capacity_change,
        appointment=booked.appointment,
        appointment_secret=booked.secret,
        staff=staff,
        devices=devices,
        credentials=credentials,
        pairing_token=new_pairing_token(waiting_device),
    )


def at_tomorrow(hour: int) -> dt.datetime:
    """Tomorrow at ``hour`` o'clock local time: a time every walked booking route may use."""
    return wall_clock_instant(timezone.localdate() + dt.timedelta(days=1), dt.time(hour))


def _booking_calendar(
    location: Location, passport: Service, secret: str
) -> tuple[BookingCalendar, CapacityChange]:
    """Book passports at the centre, one at a time around the clock, with a dated change."""
    calendar = BookingCalendar.objects.create(location=location)
    BookingSetup.objects.create(calendar=calendar, service=passport, minimum_notice_minutes=0)
    WeeklyCapacity.objects.bulk_create(
        WeeklyCapacity(calendar=calendar, weekday=day, starts=MIDNIGHT, ends=MIDNIGHT, capacity=1)
        for day in range(7)
    )
    change = CapacityChange.objects.create(
        calendar=calendar,
        date=timezone.localdate() + dt.timedelta(days=20),
        adjustment=-1,
        reason=f"{secret} kursus",
    )
    return calendar, change


class CallerKind(StrEnum):
    ANONYMOUS = "anonymous"
    DEVICE = "device"
    STAFF = "staff"


@dataclass(frozen=True)
class Caller:
    """Someone who calls a route: anonymous, a paired device, or an employee."""

    name: str
    kind: CallerKind
    role: Role | DeviceRole | None = None
    centre: str | None = None
    # The employee whose open session holds A's counter `held` and the number called to it.
    serving: bool = False
    # API calls carry a bearer token instead of the session cookie.
    uses_token: bool = False


def callers() -> list[Caller]:
    """Return the walk's callers: anonymous, each device kind of A, each role of A and of B,
    and the serving employee of A."""
    result = [Caller("anonymous", CallerKind.ANONYMOUS)]
    result += [
        Caller(f"{role.value}@A", CallerKind.DEVICE, role=role, centre="A") for role in DeviceRole
    ]
    for centre in ("A", "B"):
        result += [
            Caller(
                f"{role.value}@{centre}",
                CallerKind.STAFF,
                role=role,
                centre=centre,
                # One API caller with a token on each side of the line.
                uses_token=(role, centre) in {(Role.MANAGER, "A"), (Role.TEAM_LEAD, "B")},
            )
            for role in Role
        ]
    result.append(
        Caller("serving@A", CallerKind.STAFF, role=Role.COUNTER_STAFF, centre="A", serving=True)
    )
    return result


@dataclass
class Clients:
    """How one caller sends requests: pages, and the API (a token or the same session)."""

    pages: Client
    api: Client
    bearer: str = ""


@dataclass
class World:
    a: CentreWorld
    b: CentreWorld
    municipality: Municipality
    team: Team
    group: Group
    job: Job
    schedule: PeriodicSchedule
    message: Message
    access_attempt: AccessAttempt
    access_log: AccessLog
    access_failure: AccessFailureLog
    log_entry: LogEntry
    api_token: ApiToken
    accessibility_statement: AccessibilityStatement
    clients: dict[str, Clients] = field(default_factory=dict)

    def centre(self, key: str) -> CentreWorld:
        return self.a if key == "A" else self.b

    def user(self, caller: Caller) -> User | None:
        if caller.kind != CallerKind.STAFF:
            return None
        centre = self.centre(caller.centre or "")
        return centre.server if caller.serving else centre.staff[Role(caller.role)]


def seed_world() -> World:
    """Build both centres, the installation-wide rows the admin shows, and each caller's
    clients."""
    a = seed_centre("A", "Alphacentret", "alphacentret", "alphasecret")
    b = seed_centre("B", "Bravocentret", "bravocentret", "bravosecret")
    now = timezone.now()
    access = {"user_agent": "walk", "ip_address": "192.0.2.1", "username": "walk"}
    access |= {"http_accept": "*/*", "path_info": "/admin/login/"}
    api_token, _secret = create_api_token(a.staff[Role.MANAGER], f"{a.secret} integration")
    world = World(
        a=a,
        b=b,
        municipality=Municipality.objects.create(name="Walk Kommune", code="999"),
        team=Team.objects.create(name="Walk team", kind=TeamKind.FRONT),
        group=Group.objects.create(name="Walk group"),
        job=Job.objects.create(kind="walk", max_attempts=1),
        schedule=PeriodicSchedule.objects.create(name="walk", next_run_at=now),
        message=Message.objects.create(
            channel=Channel.SMS, recipient="+4520304050", purge_after=now + dt.timedelta(days=1)
        ),
        access_attempt=AccessAttempt.objects.create(
            get_data="", post_data="", failures_since_start=1, **access
        ),
        access_log=AccessLog.objects.create(**access),
        access_failure=AccessFailureLog.objects.create(**access),
        log_entry=LogEntry.objects.get_for_object(a.location).get(),
        api_token=api_token,
        accessibility_statement=AccessibilityStatement.objects.create(text="Walk erklæring"),
    )
    for caller in callers():
        world.clients[caller.name] = _clients(world, caller)
    return world


def _clients(world: World, caller: Caller) -> Clients:
    if caller.kind == CallerKind.ANONYMOUS:
        client = Client()
        return Clients(pages=client, api=client)
    if caller.kind == CallerKind.DEVICE:
        client = Client()
        credential = world.a.credentials[DevicePurpose(caller.role)]
        client.cookies = SimpleCookie({DEVICE_COOKIE: credential})
        return Clients(pages=client, api=client)
    user = world.user(caller)
    assert user is not None
    pages = Client()
    pages.force_login(user)
    if not caller.uses_token:
        return Clients(pages=pages, api=pages)
    _token, secret = create_api_token(user, f"{world.centre(caller.centre or '').secret} token")
    bearer = f"Bearer {secret}"
    return Clients(pages=pages, api=Client(headers={"Authorization": bearer}), bearer=bearer)


# Preparations a route needs before its call, run inside the call's own savepoint -------------


# They read their rows afresh: the services update the instances they are given, and the World's
# must stay as seeded for the next call.


def free_the_held_counter(world: World) -> None:
    """Finish the number at A's held counter, so it may call, close or take a parked one."""
    called = Ticket.objects.get(pk=world.a.called.pk)
    services.finish(called, world.a.server, outcome=Outcome.RESOLVED_FIRST_CONTACT)


def pause_the_held_counter(world: World) -> None:
    session = CounterSession.objects.get(pk=world.a.session.pk)
    services.pause_counter(session, world.a.server)
