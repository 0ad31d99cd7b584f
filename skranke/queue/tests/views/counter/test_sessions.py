"""The counter page: who may use it, opening, pausing and closing a counter, the queue panel."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from skranke.access.models import DevicePurpose
from skranke.organisation.models import Team, TeamKind
from skranke.queue import services
from skranke.queue.models import (
    CounterSession,
    Ticket,
    TicketStatus,
)
from skranke.queue.tests.factories import (
    Centre,
    issue,
    make_centre,
    make_device_client,
    make_staff,
    make_staff_client,
)
from skranke.queue.tests.views.counter.support import (
    HTMX,
    alert_of,
    called,
    english,
    open_form,
    opened,
    ticket_url,
    url,
)

pytestmark = pytest.mark.django_db


# Who may come in --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/counter/", "/counter/{counter}/", "/counter/{counter}/queues/"])
def test_anonymous_visitors_are_sent_to_log_in(centre: Centre, path: str) -> None:
    response = Client().get(path.format(counter=centre.counters[0].pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/counter/")


def test_anonymous_post_is_sent_to_log_in_and_changes_nothing(centre: Centre) -> None:
    response = Client().post("/counter/open/", open_form(centre))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not CounterSession.objects.exists()


@pytest.mark.parametrize("path", ["/counter/", "/counter/{counter}/", "/counter/{counter}/queues/"])
def test_a_paired_kiosk_is_refused(centre: Centre, path: str) -> None:
    kiosk, _device = make_device_client(centre.location, DevicePurpose.KIOSK)
    assert kiosk.get(path.format(counter=centre.counters[0].pk)).status_code == 403


def test_a_user_without_a_staff_profile_is_refused(centre: Centre) -> None:
    outsider = User.objects.create_user("outsider", password="a-long-test-password")
    client = english(make_staff_client(outsider))
    assert client.get("/counter/").status_code == 403
    assert client.post("/counter/open/", open_form(centre)).status_code == 403
    assert client.post(url(centre, "call-next")).status_code == 403
    assert not CounterSession.objects.exists()


def test_staff_of_another_centre_cannot_work_here(centre: Centre) -> None:
    elsewhere = make_centre()
    client = english(make_staff_client(make_staff(locations=[elsewhere.location])))
    page = client.get("/counter/").content.decode()
    assert elsewhere.location.name in page and centre.location.name not in page
    assert client.get(url(centre)).status_code == 403
    assert client.post("/counter/open/", open_form(centre)).status_code == 403
    assert not CounterSession.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/counter/"),
        ("get", "/counter/open/"),
        ("post", "/counter/{counter}/"),
        ("get", "/counter/{counter}/call-next/"),
        ("get", "/counter/{counter}/pause/"),
        ("get", "/counter/{counter}/close/"),
        ("put", "/counter/{counter}/call/"),
        ("get", "/counter/{counter}/tickets/1/finish/"),
    ],
)
def test_wrong_methods_are_refused(client: Client, centre: Centre, method: str, path: str) -> None:
    response = getattr(client, method)(path.format(counter=centre.counters[0].pk))
    assert response.status_code == 405


# Choosing and opening ---------------------------------------------------------------------------


def test_the_list_offers_the_counters_with_queues_from_the_teams(
    client: Client, staff: User, centre: Centre
) -> None:
    back = Team.objects.create(name="Team Ydelser", kind=TeamKind.BACK)
    front = Team.objects.create(name="Team Pas", kind=TeamKind.FRONT)
    front.subject_areas.set([centre.passport.subject_area])
    staff.staff_profile.teams.set([front, back])
    someone = make_staff(first_name="Bo", last_name="Berg")
    opened(centre, someone, index=1)

    response = client.get("/counter/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="queues" value="{centre.passports.pk}" checked' in page
    assert f'name="queues" value="{centre.back_office.pk}" checked' in page
    assert f'name="queues" value="{centre.general.pk}">' in page  # not covered by the teams
    # The visits count under a team of theirs: the front one unless they choose.
    assert f'name="team" value="{front.pk}" checked' in page
    assert f'name="team" value="{back.pk}">' in page
    # Counter 2 is taken: shown with who has it, and cannot be chosen.
    assert "open: Bo Berg" in page
    assert f'value="{centre.counters[1].pk}" required disabled' in page


def test_opening_a_counter_records_the_session_and_shows_the_working_page(
    client: Client, staff: User, centre: Centre
) -> None:
    response = client.post("/counter/open/", open_form(centre, queues=[centre.passports]))

    assert response.status_code == 302
    assert response["Location"] == url(centre)
    session = CounterSession.objects.get(counter=centre.counters[0], closed_at__isnull=True)
    assert session.staff == staff
    assert list(session.queues.all()) == [centre.passports]
    assert session.longest_waiting_first is True
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Counter 1 is open." in page.content.decode()
    assert 'id="call-next"' in page.content.decode()


def test_opening_records_the_chosen_team_and_refuses_one_not_ones_own(
    client: Client, staff: User, centre: Centre
) -> None:
    front = Team.objects.create(name="Team Pas", kind=TeamKind.FRONT)
    back = Team.objects.create(name="Team Ydelser", kind=TeamKind.BACK)
    stranger = Team.objects.create(name="Team Andet", kind=TeamKind.FRONT)
    staff.staff_profile.teams.set([front, back])

    refused = client.post("/counter/open/", {**open_form(centre), "team": stranger.pk})
    assert refused.status_code == 400
    assert "Choose one of your own teams." in refused.content.decode()
    assert not CounterSession.objects.exists()

    response = client.post("/counter/open/", {**open_form(centre), "team": back.pk})
    assert response.status_code == 302
    assert CounterSession.objects.get(closed_at__isnull=True).team == back


def test_opening_without_a_queue_shows_the_form_with_the_error(
    client: Client, centre: Centre
) -> None:
    response = client.post("/counter/open/", open_form(centre, queues=[]))
    assert response.status_code == 400
    assert "Choose at least one queue to serve." in response.content.decode()
    assert not CounterSession.objects.exists()


def test_opening_with_another_centres_queue_is_refused(client: Client, centre: Centre) -> None:
    elsewhere = make_centre()
    response = client.post("/counter/open/", open_form(centre, queues=[elsewhere.passports]))
    assert response.status_code == 400
    assert "Choose among this centre&#x27;s queues." in response.content.decode()
    assert not CounterSession.objects.exists()


@pytest.mark.parametrize("location", ["999999", "abc", "", "²", "9" * 30])
def test_opening_at_an_unknown_centre_is_404(client: Client, centre: Centre, location: str) -> None:
    form = {**open_form(centre), "location": location}
    assert client.post("/counter/open/", form).status_code == 404


def test_a_counter_taken_by_someone_else_cannot_be_opened(client: Client, centre: Centre) -> None:
    holder = make_staff(first_name="Bo", last_name="Berg")
    opened(centre, holder)

    response = client.post("/counter/open/", open_form(centre))

    assert response.status_code == 409
    assert "Someone else has this counter open." in alert_of(response)
    assert CounterSession.objects.get(closed_at__isnull=True).staff == holder


def test_a_second_counter_for_the_same_person_is_refused(
    client: Client, staff: User, centre: Centre
) -> None:
    opened(centre, staff)
    response = client.post("/counter/open/", open_form(centre, index=1))
    assert response.status_code == 409
    assert "You have another counter open; close it first." in alert_of(response)
    assert CounterSession.objects.filter(closed_at__isnull=True).count() == 1


def test_the_page_of_a_free_counter_offers_to_open_it(client: Client, centre: Centre) -> None:
    response = client.get(url(centre, index=2))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This counter is not open." in page
    assert f'name="counter" value="{centre.counters[2].pk}" required checked' in page
    assert f'name="counter" value="{centre.counters[0].pk}"' not in page


def test_the_page_of_a_counter_taken_by_someone_else_says_so(
    client: Client, centre: Centre
) -> None:
    opened(centre, make_staff(first_name="Bo", last_name="Berg"))
    response = client.get(url(centre))
    assert response.status_code == 200
    assert "This counter is open for Bo Berg." in response.content.decode()
    assert 'id="call-next"' not in response.content.decode()


def test_an_unknown_counter_is_404(client: Client) -> None:
    assert client.get("/counter/999999/").status_code == 404
    assert client.post("/counter/999999/call-next/").status_code == 404


# Someone else's counter -------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["call-next", "pause", "close"])
def test_actions_at_someone_elses_counter_are_refused(
    client: Client, centre: Centre, action: str
) -> None:
    holder = make_staff()
    session = opened(centre, holder)
    issue(centre)

    response = client.post(url(centre, action))

    assert response.status_code == 403
    assert "This counter is open for someone else." in alert_of(response)
    session.refresh_from_db()
    assert session.closed_at is None and session.paused_at is None
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_finishing_a_number_at_someone_elses_counter_is_refused(
    client: Client, staff: User, centre: Centre
) -> None:
    opened(centre, staff)
    other = make_staff()
    other_session = opened(centre, other, index=1)
    ticket = issue(centre)
    services.call_ticket(other_session, ticket, other)

    response = client.post(ticket_url(centre, ticket, "finish"), {"outcome": "not_resolved"})

    assert response.status_code == 409
    assert f"Number {ticket.display_number} is not at your counter." in alert_of(response)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED


def test_actions_at_a_counter_that_is_not_open_are_refused(client: Client, centre: Centre) -> None:
    response = client.post(url(centre, "call-next"))
    assert response.status_code == 409
    assert "The counter is not open." in alert_of(response)


def test_an_htmx_action_after_the_counter_closed_reloads_the_page(
    client: Client, staff: User, centre: Centre
) -> None:
    session = opened(centre, staff)
    services.close_counter(session, staff)
    response = client.post(url(centre, "call-next"), **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == url(centre)


# Counter state ----------------------------------------------------------------------------------


def test_pause_resume_and_close(client: Client, staff: User, centre: Centre) -> None:
    session = opened(centre, staff)

    assert client.post(url(centre, "pause")).status_code == 302
    session.refresh_from_db()
    assert session.is_paused
    paused = client.post(url(centre, "call-next"))
    assert paused.status_code == 409
    assert "The counter is paused; resume it first." in alert_of(paused)

    response = client.post(url(centre, "resume"), **HTMX)
    assert response.status_code == 200
    assert "The counter is open again." in response.content.decode()
    session.refresh_from_db()
    assert not session.is_paused

    closed = client.post(url(centre, "close"))
    assert closed.status_code == 302 and closed["Location"] == "/counter/"
    session.refresh_from_db()
    assert session.closed_at is not None
    assert "Counter 1 is closed." in client.get("/counter/").content.decode()


def test_closing_with_a_citizen_at_the_counter_is_refused(
    client: Client, staff: User, centre: Centre
) -> None:
    called(centre, staff, client)
    response = client.post(url(centre, "close"))
    assert response.status_code == 409
    assert "Finish, park or transfer the current number first." in alert_of(response)
    assert CounterSession.objects.get().closed_at is None


def test_closing_by_htmx_goes_back_to_the_list(client: Client, staff: User, centre: Centre) -> None:
    opened(centre, staff)
    response = client.post(url(centre, "close"), **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/counter/"
    assert CounterSession.objects.get().closed_at is not None


# The queue panel --------------------------------------------------------------------------------


def test_the_queue_panel_shows_waiting_citizens_of_the_served_queues(
    client: Client, staff: User, centre: Centre
) -> None:
    services.open_counter(centre.counters[0], staff, [centre.passports])
    first, second = issue(centre), issue(centre)
    other_queue = issue(centre, centre.moving)

    response = client.get(url(centre, "queues"), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"{first.display_number} {second.display_number}" in html
    assert other_queue.display_number not in html
    assert '<p class="queue-total" id="queue-total">2 citizens waiting.</p>' in html
    assert "<html" not in html


def test_the_queue_panel_of_a_counter_not_open_says_so(client: Client, centre: Centre) -> None:
    response = client.get(url(centre, "queues"))
    assert response.status_code == 200
    assert "The counter is not open." in response.content.decode()


def test_the_working_page_carries_the_live_stream_and_shortcuts(
    client: Client, staff: User, centre: Centre
) -> None:
    opened(centre, staff)
    html = client.get(url(centre)).content.decode()
    assert f'data-live-events="/api/v1/locations/{centre.location.slug}/events"' in html
    assert 'hx-trigger="refresh delay:150ms"' in html
    assert 'data-shortcut="n" aria-keyshortcuts="N"' in html
    assert "skranke/js/counter.js" in html
    assert "<script>" not in html and " style=" not in html and "hx-on" not in html


def test_the_page_speaks_danish_by_default_and_english_when_chosen(
    client: Client, staff: User, centre: Centre
) -> None:
    opened(centre, staff)
    assert '<html lang="en">' in client.get(url(centre)).content.decode()
    danish = make_staff_client(staff)
    assert '<html lang="da">' in danish.get(url(centre)).content.decode()
