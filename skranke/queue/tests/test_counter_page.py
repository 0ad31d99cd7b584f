"""The counter page: choosing and opening a counter, and every action on its working page."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client

from skranke.access.models import DevicePurpose
from skranke.catalogue.models import Queue
from skranke.organisation.models import Team, TeamKind
from skranke.queue import services
from skranke.queue.models import (
    CounterSession,
    Outcome,
    ReferredTo,
    Ticket,
    TicketStatus,
    VisitFact,
)
from skranke.queue.tests.factories import (
    Centre,
    issue,
    make_centre,
    make_device_client,
    make_staff,
    make_staff_client,
    use_api_test_settings,
)

pytestmark = pytest.mark.django_db

CPR_NOTE = "Borgerens CPR er 010190-1234"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fast_settings(settings: Any) -> None:
    use_api_test_settings(settings)
    settings.SKRANKE_NO_SHOW_AFTER_RECALLS = 1


@pytest.fixture
def centre() -> Centre:
    return make_centre()


@pytest.fixture
def staff() -> User:
    return make_staff(username="anna", first_name="Anna", last_name="Andersen")


def english(client: Client) -> Client:
    # The pages speak Danish unless English is chosen; the messages checked here are the
    # English source texts, which stay put when the Danish catalogue changes.
    client.cookies["skranke_language"] = "en"
    return client


@pytest.fixture
def client(staff: User) -> Client:
    return english(make_staff_client(staff))


def open_form(centre: Centre, index: int = 0, queues: list[Queue] | None = None) -> dict[str, Any]:
    chosen = queues if queues is not None else [centre.passports, centre.general]
    return {
        "location": centre.location.pk,
        "counter": centre.counters[index].pk,
        "queues": [queue.pk for queue in chosen],
        "longest_waiting_first": "on",
    }


def opened(centre: Centre, staff: User, index: int = 0) -> CounterSession:
    queues = [centre.passports, centre.general]
    return services.open_counter(centre.counters[index], staff, queues)


def url(centre: Centre, action: str = "", index: int = 0) -> str:
    base = f"/counter/{centre.counters[index].pk}/"
    return f"{base}{action}/" if action else base


def ticket_url(centre: Centre, ticket: Ticket, action: str, index: int = 0) -> str:
    return f"{url(centre, index=index)}tickets/{ticket.pk}/{action}/"


def alert_of(response: HttpResponse) -> str:
    """Return the text of the page's alert region (empty when there is none)."""
    html = response.content.decode()
    marker = 'role="alert">'
    if marker not in html:
        return ""
    return html.split(marker, 1)[1].split("</div>", 1)[0]


def called(centre: Centre, staff: User, client: Client) -> Ticket:
    """Open counter 1 for ``staff``, issue a passport number and call it there."""
    session = opened(centre, staff)
    ticket = issue(centre)
    services.call_ticket(session, ticket, staff)
    ticket.refresh_from_db()
    return ticket


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


@pytest.mark.parametrize("location", ["999999", "abc", ""])
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


# Calling ----------------------------------------------------------------------------------------


def test_call_next_puts_the_first_citizen_at_the_counter(
    client: Client, staff: User, centre: Centre
) -> None:
    opened(centre, staff)
    first, second = issue(centre), issue(centre)

    response = client.post(url(centre, "call-next"))

    assert response.status_code == 302 and response["Location"] == url(centre)
    first.refresh_from_db()
    assert first.status == TicketStatus.CALLED
    assert first.counter == centre.counters[0] and first.served_by == staff
    page = client.get(url(centre)).content.decode()
    assert f"Called {first.display_number} to counter 1." in page
    assert f'id="current-number">{first.display_number}<' in page
    assert second.display_number in page  # still waiting, named in the queue panel


def test_call_next_by_htmx_answers_with_the_working_area(
    client: Client, staff: User, centre: Centre
) -> None:
    opened(centre, staff)
    ticket = issue(centre)

    response = client.post(url(centre, "call-next"), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="counter-workspace"')
    assert f'id="current-number">{ticket.display_number}<' in html
    assert '<div id="counter-status" hx-swap-oob="innerHTML"><p>Called' in html
    assert "<html" not in html


def test_call_next_with_nobody_waiting_says_so(client: Client, staff: User, centre: Centre) -> None:
    opened(centre, staff)
    response = client.post(url(centre, "call-next"), follow=True)
    assert "Nobody is waiting in your queues." in response.content.decode()


def test_call_next_while_holding_a_citizen_is_refused_in_the_page(
    client: Client, staff: User, centre: Centre
) -> None:
    current = called(centre, staff, client)
    waiting = issue(centre)

    plain = client.post(url(centre, "call-next"))
    htmx = client.post(url(centre, "call-next"), **HTMX)

    assert plain.status_code == 409
    assert htmx.status_code == 200
    for response in (plain, htmx):
        assert "This counter already has a number; finish it first." in response.content.decode()
    assert 'role="alert"' in plain.content.decode()
    current.refresh_from_db()
    waiting.refresh_from_db()
    assert current.status == TicketStatus.CALLED and waiting.status == TicketStatus.WAITING


def test_calling_a_given_number(client: Client, staff: User, centre: Centre) -> None:
    opened(centre, staff)
    issue(centre)
    second = issue(centre)

    response = client.post(url(centre, "call"), {"number": f" {second.display_number.lower()} "})

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == TicketStatus.CALLED and second.counter == centre.counters[0]


@pytest.mark.parametrize(
    ("number", "status", "message"),
    [
        ("P999", 404, "There is no number P999 today."),
        ("", 400, "Type the number to call, e.g. P012."),
        ("P" * 11, 400, "at most 10 characters"),
    ],
)
def test_calling_a_number_that_does_not_exist_shows_the_error_by_the_field(
    client: Client, staff: User, centre: Centre, number: str, status: int, message: str
) -> None:
    opened(centre, staff)
    response = client.post(url(centre, "call"), {"number": number})
    assert response.status_code == status
    html = response.content.decode()
    assert message in html
    assert 'id="call-number-error"' in html and 'aria-invalid="true"' in html


def test_calling_a_number_no_longer_waiting_is_refused(
    client: Client, staff: User, centre: Centre
) -> None:
    opened(centre, staff)
    ticket = issue(centre)
    services.cancel(ticket, services.CancelReason.CITIZEN)
    response = client.post(url(centre, "call"), {"number": ticket.display_number})
    assert response.status_code == 409
    assert "This number is not waiting." in alert_of(response)


# The citizen at the counter ---------------------------------------------------------------------


def test_recall_counts_and_then_allows_a_no_show(
    client: Client, staff: User, centre: Centre
) -> None:
    ticket = called(centre, staff, client)
    assert 'id="no-show"' not in client.get(url(centre)).content.decode()
    early = client.post(ticket_url(centre, ticket, "no-show"))
    assert early.status_code == 409
    assert "Recall the number 1 times before marking a no-show." in alert_of(early)

    response = client.post(ticket_url(centre, ticket, "recall"), **HTMX)

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.recall_count == 1
    assert 'id="current-recalls">1<' in response.content.decode()
    assert 'id="no-show"' in response.content.decode()

    assert client.post(ticket_url(centre, ticket, "no-show")).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NO_SHOW
    assert VisitFact.objects.get(ticket=ticket).ending == "no_show"
    page = client.get(url(centre)).content.decode()
    assert f'id="reinstate-{ticket.pk}"' in page


def test_a_no_show_is_put_back_in_line(client: Client, staff: User, centre: Centre) -> None:
    ticket = called(centre, staff, client)
    services.recall(ticket, staff)
    services.mark_no_show(ticket, staff)

    response = client.post(ticket_url(centre, ticket, "reinstate"))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert not VisitFact.objects.filter(ticket=ticket).exists()
    again = client.post(ticket_url(centre, ticket, "reinstate"))
    assert again.status_code == 409
    assert "Only today&#x27;s no-shows can be put back in line." in alert_of(again)


def test_park_and_resume(client: Client, staff: User, centre: Centre) -> None:
    ticket = called(centre, staff, client)

    assert client.post(ticket_url(centre, ticket, "park")).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PARKED and ticket.counter is None
    panel = client.get(url(centre, "queues"), **HTMX).content.decode()
    assert f'id="resume-{ticket.pk}"' in panel

    assert client.post(ticket_url(centre, ticket, "resume")).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED and ticket.counter == centre.counters[0]


def test_transfer_to_the_back_office_keeps_the_arrival(
    client: Client, staff: User, centre: Centre
) -> None:
    ticket = called(centre, staff, client)
    arrival = ticket.waiting_since

    response = client.post(
        ticket_url(centre, ticket, "transfer"), {"queue": centre.back_office.pk}, **HTMX
    )

    assert response.status_code == 200
    assert f"{ticket.display_number} now waits in Back office." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING and ticket.queue == centre.back_office
    assert ticket.first_queue == centre.passports and ticket.waiting_since == arrival


@pytest.mark.parametrize("queue", ["", "999999", "other-centre"])
def test_transfer_to_an_unknown_queue_shows_the_error(
    client: Client, staff: User, centre: Centre, queue: str
) -> None:
    ticket = called(centre, staff, client)
    if queue == "other-centre":
        queue = str(make_centre().back_office.pk)

    response = client.post(ticket_url(centre, ticket, "transfer"), {"queue": queue})

    assert response.status_code == 400
    assert 'id="transfer-error"' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED and ticket.queue == centre.passports


def test_finish_with_outcome_and_the_services_subject_area(
    client: Client, staff: User, centre: Centre
) -> None:
    ticket = called(centre, staff, client)
    page = client.get(url(centre)).content.decode()
    area = centre.passport.subject_area
    assert f'<option value="{area.pk}" selected>' in page

    response = client.post(
        ticket_url(centre, ticket, "finish"),
        {"outcome": Outcome.RESOLVED_FIRST_CONTACT, "subject_area": area.pk, "referred_to": "skat"},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.FINISHED
    assert ticket.outcome == Outcome.RESOLVED_FIRST_CONTACT
    assert ticket.subject_area == area
    assert ticket.referred_to == ""  # an authority left chosen is not a referral
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.ending == "served" and fact.staff == staff
    page = client.get(url(centre)).content.decode()
    assert "You have served 1 citizen today." in page
    assert "No citizen at the counter." in page


def test_finish_as_a_referral_in_another_subject_area(
    client: Client, staff: User, centre: Centre
) -> None:
    ticket = called(centre, staff, client)
    other_area = centre.moving.subject_area
    response = client.post(
        ticket_url(centre, ticket, "finish"),
        {
            "outcome": Outcome.REFERRED,
            "referred_to": ReferredTo.SKAT,
            "subject_area": other_area.pk,
        },
        **HTMX,
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.outcome == Outcome.REFERRED and ticket.referred_to == ReferredTo.SKAT
    assert VisitFact.objects.get(ticket=ticket).subject_area == other_area


@pytest.mark.parametrize(
    ("form", "field_error"),
    [
        ({}, "Choose the outcome of the visit."),
        ({"outcome": "made_up"}, "Select a valid choice."),
        ({"outcome": Outcome.REFERRED}, "Choose the authority the citizen was referred to."),
        ({"outcome": Outcome.NOT_RESOLVED, "subject_area": "999999"}, "Choose one of the subject"),
    ],
)
def test_finish_with_bad_input_shows_the_form_with_the_error(
    client: Client, staff: User, centre: Centre, form: dict[str, str], field_error: str
) -> None:
    ticket = called(centre, staff, client)

    plain = client.post(ticket_url(centre, ticket, "finish"), form)
    htmx = client.post(ticket_url(centre, ticket, "finish"), form, **HTMX)

    assert plain.status_code == 400 and htmx.status_code == 200
    for response in (plain, htmx):
        html = response.content.decode()
        assert field_error in html
        assert "Please correct the marked field." in html
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED
    assert not VisitFact.objects.exists()


def test_a_note_is_saved(client: Client, staff: User, centre: Centre) -> None:
    ticket = called(centre, staff, client)
    response = client.post(ticket_url(centre, ticket, "note"), {"note": "Mangler gammelt pas"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.note == "Mangler gammelt pas"
    assert "Mangler gammelt pas" in client.get(url(centre)).content.decode()


def test_a_note_with_a_cpr_number_is_refused_by_the_field(
    client: Client, staff: User, centre: Centre
) -> None:
    ticket = called(centre, staff, client)

    response = client.post(ticket_url(centre, ticket, "note"), {"note": CPR_NOTE})

    assert response.status_code == 400
    html = response.content.decode()
    assert "This looks like a CPR number." in html
    assert 'id="ticket-note-error"' in html
    assert "010190-1234" not in html.split('id="ticket-note-error"', 1)[1]
    ticket.refresh_from_db()
    assert ticket.note == ""


@pytest.mark.parametrize("action", ["recall", "park", "transfer", "note", "finish"])
def test_actions_on_a_number_that_is_not_at_the_counter_are_refused(
    client: Client, staff: User, centre: Centre, action: str
) -> None:
    opened(centre, staff)
    waiting = issue(centre)
    form = {"queue": centre.back_office.pk, "outcome": "not_resolved", "note": "x"}
    response = client.post(ticket_url(centre, waiting, action), form)
    assert response.status_code == 409
    assert f"Number {waiting.display_number} is not at your counter." in alert_of(response)
    waiting.refresh_from_db()
    assert waiting.status == TicketStatus.WAITING and waiting.note == ""


def test_unknown_numbers_and_actions_are_404(client: Client, staff: User, centre: Centre) -> None:
    ticket = called(centre, staff, client)
    elsewhere = make_centre()
    foreign = issue(elsewhere)
    assert client.post(f"{url(centre)}tickets/999999/recall/").status_code == 404
    assert client.post(ticket_url(centre, foreign, "recall")).status_code == 404
    assert client.post(ticket_url(centre, ticket, "explode")).status_code == 404
    ticket.refresh_from_db()
    assert ticket.recall_count == 0


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
