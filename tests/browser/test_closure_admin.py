"""An unplanned closure in the centre's admin page, in a real browser: the administrator shortens
a day's hours, is shown the bookings that cancels before anything is saved, saves again to
confirm, and is told how many citizens were notified. axe-core checks both pages.

Two things on the centre's change form are Django's, not ours, and are left out of the checks:
the rows of its tabular inlines (weekly hours, dated exceptions, counters) have inputs labelled
only by their column headings, which axe reports as unlabelled; and axe itself, to read the
admin's stylesheets that @import others, adds <style> elements to the page, which the site's
Content-Security-Policy blocks and reports. So the page's own problems are checked before each
axe run, and forgotten after it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from skranke.booking.models import Appointment, AppointmentStatus, CancelReason
from skranke.booking.tests.closure_scene import book_at, make_hours_centre, open_on
from skranke.catalogue.models import Service
from skranke.lib.localtime import local_date
from skranke.organisation.hours import optional_holiday, public_holiday
from skranke.organisation.models import HoursKind, Location, OpeningHours
from skranke.testing.browser import (
    BLOCKING_IMPACTS,
    BrowserProblems,
    assert_accessible,
    axe_violations,
)
from skranke.testing.server import RunningServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]

PASSWORD = "korrekt-hest-batteri-hæfteklamme"

# An input in a row of one of the centre page's tabular inlines ("#id_opening_hours-0-opens").
INLINE_ROW_INPUT = re.compile(r"#id_(opening_hours|opening_exceptions|counters)-\d+-\w+")


def next_working_day() -> dt.date:
    """Return the first weekday at least three days ahead that is no holiday of any kind."""
    day = local_date(timezone.now()) + dt.timedelta(days=3)
    while day.weekday() >= 5 or public_holiday(day) or optional_holiday(day):
        day += dt.timedelta(days=1)
    return day


def weekly_closes_field(page: Page, weekday: int) -> str:
    """Return the id of the closing-time input of ``weekday``'s attendance row."""
    total = int(page.locator("#id_opening_hours-TOTAL_FORMS").input_value())
    for index in range(total):
        prefix = f"#id_opening_hours-{index}-"
        if (
            page.locator(prefix + "weekday").input_value() == str(weekday)
            and page.locator(prefix + "kind").input_value() == HoursKind.ATTENDANCE
        ):
            return prefix + "closes"
    raise LookupError(weekday)


def assert_accessible_apart_from_inline_rows(page: Page, label: str) -> None:
    """Fail on a serious or critical axe violation anywhere but in the inputs of the tabular
    inlines' rows (Django's markup: see the module's docstring)."""
    found = []
    for violation in axe_violations(page):
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        for node in violation["nodes"]:
            if not all(INLINE_ROW_INPUT.fullmatch(target) for target in node["target"]):
                found.append(f"{violation['id']}: {', '.join(node['target'])}")
    assert not found, f"axe-core on {label!r}: {found}"


def checked_by_axe(page: Page, problems: BrowserProblems, label: str, inlines: bool) -> None:
    problems.assert_none()
    if inlines:
        assert_accessible_apart_from_inline_rows(page, label)
    else:
        assert_accessible(page, label)
    problems.clear()


def test_shortening_a_day_lists_the_bookings_and_cancels_them_once_confirmed(
    asgi_server: RunningServer,
    page: Page,
    browser_problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    day = next_working_day()
    booking = make_hours_centre()
    Location.objects.filter(pk=booking.location.pk).update(name="Borgerservice Rådhuset")
    Service.objects.filter(pk=booking.passport.pk).update(name="Pas til voksne")
    now = timezone.now()
    morning = book_at(booking, day, 11, now=now)
    hit = [book_at(booking, day, 14, now=now), book_at(booking, day, 14, 30, now=now)]
    get_user_model().objects.create_superuser("anne", "anne@example.org", PASSWORD)
    path = f"/admin/organisation/location/{booking.location.pk}/change/"

    page.goto(f"{asgi_server.url}{path}")
    page.get_by_label("Brugernavn").fill("anne")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(f"{asgi_server.url}{path}")

    page.locator(weekly_closes_field(page, day.weekday())).fill("14:00")
    page.locator('input[name="_save"]').click()

    # The bookings hit, before anything is saved.
    preview = page.get_by_role("region", name=re.compile("aflyser 2 bookinger"))
    expect(preview).to_be_visible()
    expect(preview.get_by_role("alert")).to_contain_text("Intet er gemt endnu")
    rows = preview.locator("tbody tr")
    expect(rows).to_have_count(2)
    for row, appointment in zip(rows.all(), hit, strict=True):
        expect(row).to_contain_text(appointment.display_code)
        expect(row).to_contain_text("Pas til voksne")
    expect(rows.first).to_contain_text("14:00–14:15")
    expect(page.locator(".errornote")).to_have_count(0)
    assert OpeningHours.objects.get(
        location=booking.location, kind=HoursKind.ATTENDANCE, weekday=day.weekday()
    ).closes == dt.time(15)
    checked_by_axe(page, browser_problems, "centre admin with the closure preview", inlines=True)
    screenshot(page, "admin-closure-preview")
    page.set_viewport_size({"width": 800, "height": 1280})
    screenshot(page, "admin-closure-preview-tablet")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Saving again confirms: the hours are saved, the bookings cancelled, the citizens told.
    page.locator('input[name="_save"]').click()
    expect(page).to_have_url(re.compile(r"/admin/organisation/location/$"))
    expect(page.locator(".messagelist")).to_contain_text(
        "2 bookinger blev aflyst, og borgerne fik en besked"
    )
    checked_by_axe(page, browser_problems, "centre list after the closure", inlines=False)
    screenshot(page, "admin-closure-saved")
    for appointment in hit:
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CANCELLED
        assert appointment.cancel_reason == CancelReason.CLOSURE
        assert appointment.messages.count() == 2
    assert Appointment.objects.get(pk=morning.pk).status == AppointmentStatus.BOOKED
    browser_problems.assert_none()


def test_deleting_an_extra_opening_day_lists_its_bookings_on_the_confirmation_page(
    asgi_server: RunningServer,
    page: Page,
    browser_problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    saturday = next_working_day() + dt.timedelta(days=1)
    while saturday.weekday() != 5 or public_holiday(saturday) or optional_holiday(saturday):
        saturday += dt.timedelta(days=1)
    booking = make_hours_centre()
    extra = open_on(booking.location, saturday, "10:00", "13:00")
    hit = book_at(booking, saturday, 11, now=timezone.now())
    get_user_model().objects.create_superuser("anne", "anne@example.org", PASSWORD)
    path = f"/admin/organisation/openingexception/{extra.pk}/delete/"

    page.goto(f"{asgi_server.url}{path}")
    page.get_by_label("Brugernavn").fill("anne")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(f"{asgi_server.url}{path}")

    preview = page.get_by_role("region", name=re.compile("Sletningen aflyser 1 booking"))
    expect(preview.locator("tbody tr")).to_have_count(1)
    expect(preview.locator("tbody tr")).to_contain_text(hit.display_code)
    checked_by_axe(page, browser_problems, "deleting a day with a booking", inlines=False)
    screenshot(page, "admin-closure-delete")

    page.get_by_role("button", name="Ja, jeg er sikker").click()
    expect(page).to_have_url(re.compile(r"/admin/organisation/openingexception/$"))
    expect(page.locator(".messagelist")).to_contain_text("1 booking blev aflyst")
    hit.refresh_from_db()
    assert hit.cancel_reason == CancelReason.CLOSURE
    checked_by_axe(page, browser_problems, "the days after deleting", inlines=False)
    browser_problems.assert_none()
