"""The floor guide: staff issue a number on a citizen's behalf and show or print it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client

from skranke.access.models import DevicePurpose
from skranke.catalogue.models import Service
from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.models import Priority, Source, Ticket, TicketEvent
from skranke.queue.tests.factories import (
    Centre,
    make_centre,
    make_device_client,
    make_staff,
    make_staff_client,
    open_today_until,
    set_weekly_hours,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_settings")]


def english(client: Client) -> Client:
    # Checked against the English source texts, which stay put when the Danish catalogue changes.
    client.cookies["skranke_language"] = "en"
    return client


@pytest.fixture
def staff() -> User:
    return make_staff()


@pytest.fixture
def client(staff: User) -> Client:
    return english(make_staff_client(staff))


def floor_url(centre: Centre) -> str:
    return f"/floor/{centre.location.slug}/"


# Who may come in --------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(centre: Centre) -> None:
    for response in (
        Client().get(floor_url(centre)),
        Client().post(floor_url(centre), {"service": centre.passport.pk}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(f"/admin/login/?next={floor_url(centre)}")
    assert not Ticket.objects.exists()


def test_a_paired_kiosk_and_a_user_without_staff_profile_are_refused(centre: Centre) -> None:
    kiosk, _device = make_device_client(centre.location, DevicePurpose.KIOSK)
    outsider = make_staff_client(User.objects.create_user("outsider", password="x-long-pass"))
    for client in (kiosk, outsider):
        assert client.get(floor_url(centre)).status_code == 403
        assert client.post(floor_url(centre), {"service": centre.passport.pk}).status_code == 403
    assert not Ticket.objects.exists()


def test_staff_of_another_centre_are_refused(centre: Centre) -> None:
    elsewhere = make_centre()
    client = make_staff_client(make_staff(locations=[elsewhere.location]))
    assert client.get(floor_url(centre)).status_code == 403
    assert client.get(f"/floor/{elsewhere.location.slug}/").status_code == 200


def test_wrong_methods_and_unknown_centres(client: Client, centre: Centre) -> None:
    assert client.put(floor_url(centre)).status_code == 405
    assert client.delete(floor_url(centre)).status_code == 405
    assert client.get("/floor/no-such-centre/").status_code == 404
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.FLOOR_GUIDE)
    assert client.post(f"{floor_url(centre)}number/{ticket.token}/").status_code == 405
    assert client.get(f"{floor_url(centre)}number/unknown-token/").status_code == 404


# The form ---------------------------------------------------------------------------------------


def test_services_are_offered_grouped_by_subject_area(client: Client, centre: Centre) -> None:
    Service.objects.create(
        subject_area=centre.passport.subject_area,
        name="Kun med tid",
        slug="kun-med-tid",
        walk_in=False,
    )
    response = client.get(floor_url(centre))

    assert response.status_code == 200
    html = response.content.decode()
    groups = html.split('<fieldset class="floor-area">')[1:]
    assert len(groups) == 2
    passports = next(group for group in groups if "<legend>Passports</legend>" in group)
    register = next(group for group in groups if centre.moving.subject_area.name in group)
    assert f'name="service" value="{centre.passport.pk}"' in passports
    assert f'name="service" value="{centre.moving.pk}"' in register
    assert "Kun med tid" not in html  # needs an appointment
    assert 'name="urgent"' not in html  # counter staff may not mark a case urgent
    assert 'maxlength="200"' in html


def test_team_leads_see_the_urgent_checkbox(centre: Centre) -> None:
    lead = english(make_staff_client(make_staff(Role.TEAM_LEAD)))
    assert 'name="urgent"' in lead.get(floor_url(centre)).content.decode()


def test_issuing_a_number_shows_it_with_a_print_button(
    client: Client, staff: User, centre: Centre
) -> None:
    response = client.post(
        floor_url(centre), {"service": centre.passport.pk, "note": "Har brug for tolk"}
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert response["Location"] == f"{floor_url(centre)}number/{ticket.token}/"
    assert ticket.source == Source.FLOOR_GUIDE and ticket.priority == Priority.NORMAL
    assert ticket.note == "Har brug for tolk" and ticket.service == centre.passport
    assert TicketEvent.objects.get(ticket=ticket).staff == staff

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<p class="floor-number">{ticket.display_number}</p>' in html
    assert "data-print" in html and "skranke/js/counter.js" in html
    assert 'src="data:image/svg+xml' in html  # the QR code for the citizen's phone
    assert "Next in line." in html


def test_a_team_lead_may_mark_a_case_urgent(centre: Centre) -> None:
    lead = make_staff_client(make_staff(Role.TEAM_LEAD))
    response = lead.post(floor_url(centre), {"service": centre.moving.pk, "urgent": "on"})
    assert response.status_code == 302
    assert Ticket.objects.get().priority == Priority.URGENT


def test_counter_staff_cannot_mark_a_case_urgent(client: Client, centre: Centre) -> None:
    response = client.post(floor_url(centre), {"service": centre.passport.pk, "urgent": "on"})
    assert response.status_code == 403
    assert "Only team leads and managers may mark a case urgent." in response.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Choose the service the citizen has come for."),
        ({"service": "999999"}, "Choose one of the services shown."),
        ({"service": "pas"}, "Choose one of the services shown."),
        ({"service": "{passport}", "note": "CPR 010190-1234"}, "This looks like a CPR number."),
        ({"service": "{passport}", "note": "x" * 201}, "at most 200 characters"),
    ],
)
def test_bad_input_shows_the_form_with_the_error(
    client: Client, centre: Centre, form: dict[str, str], message: str
) -> None:
    data = {key: value.format(passport=centre.passport.pk) for key, value in form.items()}

    response = client.post(floor_url(centre), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "No number was issued." in html and 'role="alert"' in html
    assert "010190-1234" not in html.split('role="alert"', 1)[1].split("<form", 1)[0]
    assert not Ticket.objects.exists()


def test_a_service_needing_an_appointment_is_not_issued(client: Client, centre: Centre) -> None:
    centre.passport.walk_in = False
    centre.passport.save(update_fields=["walk_in"])
    response = client.post(floor_url(centre), {"service": centre.passport.pk})
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_after_the_cut_off_the_refusal_names_the_next_opening(
    client: Client, centre: Centre
) -> None:
    set_weekly_hours(centre.location, dt.time(10, 0), dt.time(15, 0), weekdays=range(7))
    open_today_until(centre.location, dt.timedelta(minutes=10))
    centre.passports.cutoff_minutes = 30
    centre.passports.save(update_fields=["cutoff_minutes"])

    response = client.post(floor_url(centre), {"service": centre.passport.pk})

    assert response.status_code == 409
    alert = response.content.decode().split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "No more numbers are issued today for this queue." in alert
    assert "We open again" in alert and "at 10:00." in alert
    assert not Ticket.objects.exists()


def test_a_closed_queue_is_refused_with_its_reason(
    client: Client, staff: User, centre: Centre
) -> None:
    services.close_queue_now(centre.passports, "Systemet til pas er nede", staff)
    response = client.post(floor_url(centre), {"service": centre.passport.pk})
    assert response.status_code == 409
    assert "Systemet til pas er nede" in response.content.decode()
    assert not Ticket.objects.exists()
