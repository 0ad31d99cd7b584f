"""The pages of those who lead: where sign-in lands, the home page's figures (the KPI engine's),
the live floor and its panel, closing a colleague's counter, and the statistics tables."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from fractions import Fraction

import pytest
import time_machine
from auditlog.models import LogEntry
from django.test import Client

from skranke.access.models import DevicePurpose
from skranke.access.tests.factories import make_device
from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.models import Source
from skranke.queue.tests.factories import (
    copenhagen,
    make_centre,
    make_device_client,
    make_staff,
    make_staff_client,
)
from skranke.reports.kpi import VisitFilter, key_figures
from skranke.reports.models import GoalKind, ServiceGoal
from skranke.reports.tests.visit_factory import make_visit

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 10)
NOW = copenhagen(TODAY, 13, 30)
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _afternoon() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def in_english(client: Client) -> Client:
    client.cookies["skranke_language"] = "en"
    return client


def closed_for_colleague() -> int:
    return LogEntry.objects.filter(
        additional_data__action="counter_session_closed_for_colleague"
    ).count()


def figure(html: str, centre_slug: str, name: str) -> str:
    """The text of ``data-figure="name"`` in the card of ``centre_slug`` on the home page."""
    card = html.split(f'data-centre="{centre_slug}"', 1)[1].split("</li>", 1)[0]
    found = re.search(rf'data-figure="{name}">(.*?)</dd>', card, re.S)
    assert found is not None, name
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip()


def test_sign_in_lands_on_the_home_page_or_the_counter() -> None:
    lead = make_staff(Role.TEAM_LEAD, is_staff=True)
    clerk = make_staff(Role.COUNTER_STAFF, is_staff=True)
    for user, landing in ((lead, "/staff/"), (clerk, "/counter/")):
        client = Client()
        signed_in = client.post(
            "/admin/login/", {"username": user.username, "password": PASSWORD}, follow=True
        )
        assert signed_in.redirect_chain[0][0] == "/staff/"
        assert signed_in.request["PATH_INFO"] == landing
        # Signed in, the sign-in page sends them on too; a page asked for wins.
        assert client.get("/admin/login/")["Location"] == "/staff/"
        assert client.get("/admin/login/?next=/admin/")["Location"] == "/admin/"
    # A page to return to is kept, and one on another site is not followed.
    client = Client()
    back = client.post(
        "/admin/login/?next=/counter/", {"username": lead.username, "password": PASSWORD}
    )
    assert back["Location"] == "/counter/"
    assert client.get("/admin/login/?next=https://elsewhere.example/")["Location"] == "/staff/"


def test_the_home_page_needs_a_staff_member() -> None:
    centre = make_centre()
    assert Client().get("/staff/")["Location"].startswith("/admin/login/?next=/staff/")
    device, _device = make_device_client(centre.location, DevicePurpose.DISPLAY)
    assert device.get("/staff/").status_code == 403


def test_the_home_page_shows_the_engine_s_figures_for_today_at_the_lead_s_centres() -> None:
    centre, elsewhere = make_centre(), make_centre()
    ServiceGoal.objects.create(
        location=centre.location,
        kind=GoalKind.CALLED_WITHIN,
        minutes=10,
        target_percent=80,
        valid_from=TODAY,
    )
    for wait in (2, 4, 9, 25, 3):
        make_visit(centre, TODAY, 9, wait=wait * 60)
    make_visit(centre, TODAY - dt.timedelta(days=1), 9, wait=60)
    services.issue_ticket(
        centre.location,
        centre.passport,
        source=Source.KIOSK,
        now=NOW - dt.timedelta(minutes=7),
    )
    lead = make_staff(Role.TEAM_LEAD, locations=[centre.location])
    client = in_english(make_staff_client(lead))

    response = client.get("/staff/")

    assert response.status_code == 200
    html = response.content.decode()
    assert elsewhere.location.name not in html
    engine = key_figures(VisitFilter(TODAY, TODAY, location_ids=(centre.location.pk,)))
    slug = centre.location.slug
    assert figure(html, slug, "served") == str(engine.counts.served) == "5"
    assert figure(html, slug, "waiting") == "1"
    assert figure(html, slug, "longest-wait") == "7 min"
    # 4 of 5 within 10 minutes: 80 %, exactly the target and so at risk (less than 5 points
    # above it); the mean wait (43 / 5 = 8.6 minutes) has no goal.
    assert engine.within_goal is not None and engine.within_goal.fraction == Fraction(4, 5)
    assert figure(html, slug, "within-goal").startswith("80 %")
    assert "at risk" in figure(html, slug, "within-goal")
    assert figure(html, slug, "mean-wait").startswith("8.6 min")
    assert f"/staff/floor/{slug}/" in html


def test_the_live_floor_shows_queues_counters_and_devices() -> None:
    centre = make_centre()
    clerk = make_staff(first_name="Mette", last_name="Holm")
    session = services.open_counter(centre.counters[0], clerk, [centre.passports])
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    called = services.call_next(session, clerk)
    assert called is not None
    _device_client, display = make_device_client(centre.location, DevicePurpose.DISPLAY)
    waiting = make_device(centre.location, DevicePurpose.KIOSK)
    lead = make_staff(Role.TEAM_LEAD, locations=[centre.location])
    client = make_staff_client(lead)

    page = client.get(f"/staff/floor/{centre.location.slug}/")
    panel = client.get(f"/staff/floor/{centre.location.slug}/panel/")

    assert page.status_code == panel.status_code == 200
    for html in (page.content.decode(), panel.content.decode()):
        assert re.search(r'data-queue="P".*?data-figure="waiting">1<', html, re.S)
        row = html.split('data-counter="1"', 1)[1].split("</tr>", 1)[0]
        assert "Mette Holm" in row and called.display_number in row and "open" in row
        assert display.name in html
        # A device not paired yet is listed as such, never flagged silent.
        unpaired = html.split(f'data-device="{waiting.pk}"', 1)[1].split("</tr>", 1)[0]
        assert "device-unpaired" in unpaired and waiting.name in unpaired
        assert "device-silent" not in unpaired
    assert f"/api/v1/locations/{centre.location.slug}/staff-events" in page.content.decode()
    # Another centre's lead, counter staff and devices may not watch it.
    other = make_staff(Role.TEAM_LEAD, locations=[make_centre().location])
    assert make_staff_client(other).get(f"/staff/floor/{centre.location.slug}/").status_code == 403
    assert make_staff_client(clerk).get(f"/staff/floor/{centre.location.slug}/").status_code == 403
    assert client.get("/staff/floor/no-such-centre/").status_code == 404


def test_a_team_lead_closes_a_colleague_s_counter_from_the_live_floor() -> None:
    centre = make_centre()
    clerk = make_staff()
    session = services.open_counter(centre.counters[0], clerk, [centre.passports])
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    called = services.call_next(session, clerk)
    assert called is not None
    lead = make_staff(Role.TEAM_LEAD, locations=[centre.location])
    client = in_english(make_staff_client(lead))
    address = f"/staff/floor/{centre.location.slug}/counters/{centre.counters[0].pk}/close/"

    assert make_staff_client(clerk).post(address).status_code == 403
    closed = client.post(address, follow=True)

    assert closed.status_code == 200
    assert "Counter 1 is closed." in closed.content.decode()
    session.refresh_from_db()
    assert session.closed_at is not None
    called.refresh_from_db()
    assert called.status == "parked"
    assert (
        LogEntry.objects.filter(
            additional_data__action="counter_session_closed_for_colleague"
        ).count()
        == 1
    )
    # Again: it is not open any more, which the page says, and nothing more is written.
    again = client.post(address, follow=True)
    assert "The counter is not open." in again.content.decode()
    assert (
        LogEntry.objects.filter(
            additional_data__action="counter_session_closed_for_colleague"
        ).count()
        == 1
    )
    other_centre = make_centre()
    wrong = f"/staff/floor/{centre.location.slug}/counters/{other_centre.counters[0].pk}/close/"
    assert client.post(wrong).status_code == 404


def test_statistics_tables_for_yesterday_this_week_and_this_month() -> None:
    centre, elsewhere = make_centre(), make_centre()
    make_visit(centre, TODAY - dt.timedelta(days=1), 9, wait=120)
    make_visit(centre, TODAY, 9, wait=240)
    make_visit(centre, TODAY - dt.timedelta(days=9), 9, wait=60)
    manager = make_staff(Role.MANAGER, locations=[centre.location])
    client = in_english(make_staff_client(manager))

    response = client.get("/staff/statistics/")

    assert response.status_code == 200
    html = response.content.decode()
    visits_row = re.search(r"<th scope=\"row\">Visits</th>(.*?)</tr>", html, re.S)
    assert visits_row is not None
    # Yesterday 1; Monday 9 November to today 2; 1 to 10 November 3.
    assert re.findall(r"<td>(\d+)</td>", visits_row.group(1)) == ["1", "2", "3"]
    assert elsewhere.location.name not in html
    assert client.get(f"/staff/statistics/?location={centre.location.slug}").status_code == 200
    refused = client.get(f"/staff/statistics/?location={elsewhere.location.slug}")
    assert refused.status_code == 403
    assert client.get("/staff/statistics/?location=nowhere").status_code == 404
    assert client.get("/staff/statistics/?location=%00").status_code == 400
    assert make_staff_client(make_staff()).get("/staff/statistics/").status_code == 403
