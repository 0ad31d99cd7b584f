"""The kiosk pages: a paired kiosk shows subject areas and services, draws a number and shows it
with the people ahead, the expected wait and a QR code; refusals are said plainly with the next
opening; bad input gets a 4xx, never a 500."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import segno
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import formats, timezone, translation

from skranke.access.models import DevicePurpose
from skranke.catalogue.models import Service, SubjectArea
from skranke.lib.localtime import local_date, local_zone
from skranke.organisation.models import OpeningException
from skranke.queue import services
from skranke.queue.models import Source, Ticket, TicketEvent
from skranke.queue.tests.factories import (
    Centre,
    issue,
    make_centre,
    make_device_client,
    make_staff,
    make_staff_client,
    open_counters,
    open_today_until,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_settings")]


def start_url(centre: Centre) -> str:
    return f"/kiosk/{centre.location.slug}/"


def draw_url(centre: Centre) -> str:
    return f"/kiosk/{centre.location.slug}/draw/"


def text_of(response: Any) -> str:
    """The page's text with tags removed and white space collapsed, as a reader hears it."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def danish_opening(instant: dt.datetime) -> str:
    """'We open again …' as the Danish page words it, e.g. 'tirsdag 24. november kl. 09:00'."""
    local = instant.astimezone(local_zone())
    with translation.override("da"):
        return f"{formats.date_format(local, 'l j. F')} kl. {local:%H:%M}"


def open_tomorrow_at_nine(centre: Centre) -> dt.datetime:
    """Open ``centre`` tomorrow 09:00–15:00 (a dated exception, so even on a public holiday);
    return tomorrow 09:00."""
    location = centre.location
    tomorrow = local_date(timezone.now()) + dt.timedelta(days=1)
    OpeningException.objects.create(
        location=location, date=tomorrow, opens=dt.time(9, 0), closes=dt.time(15, 0)
    )
    return dt.datetime.combine(tomorrow, dt.time(9, 0), tzinfo=local_zone())


def close_until_tomorrow_nine(centre: Centre) -> dt.datetime:
    """Close ``centre`` now, open tomorrow 09:00–15:00 only; return tomorrow 09:00."""
    centre.location.always_open = False
    centre.location.save(update_fields=["always_open"])
    return open_tomorrow_at_nine(centre)


# Who may use the kiosk --------------------------------------------------------------------------


def test_without_a_paired_device_the_kiosk_asks_for_sign_in(centre: Centre) -> None:
    anonymous = Client()

    page = anonymous.get(start_url(centre))
    draw = anonymous.post(draw_url(centre), {"service": centre.passport.pk})

    assert page.status_code == 302
    assert page["Location"] == f"/admin/login/?next={start_url(centre)}"
    assert draw.status_code == 302
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("purpose", [DevicePurpose.DISPLAY, DevicePurpose.COUNTER_SCREEN])
def test_a_device_paired_for_something_else_is_refused(
    centre: Centre, purpose: DevicePurpose
) -> None:
    client, _device = make_device_client(centre.location, purpose)

    assert client.get(start_url(centre)).status_code == 403
    assert client.post(draw_url(centre), {"service": centre.passport.pk}).status_code == 403
    assert not Ticket.objects.exists()


def test_a_kiosk_of_another_centre_is_refused(centre: Centre) -> None:
    elsewhere, _device = make_device_client(make_centre().location, DevicePurpose.KIOSK)

    assert elsewhere.get(start_url(centre)).status_code == 403
    assert elsewhere.post(draw_url(centre), {"service": centre.passport.pk}).status_code == 403
    assert not Ticket.objects.exists()


def test_staff_are_not_a_kiosk(centre: Centre) -> None:
    # Staff issue numbers through the floor guide, which records who did it.
    staff = make_staff_client(make_staff())
    assert staff.get(start_url(centre)).status_code == 403


# Choosing ---------------------------------------------------------------------------------------


def test_the_start_screen_lists_the_subject_areas_numbers_are_drawn_for(
    centre: Centre, kiosk: Client
) -> None:
    hidden = SubjectArea.objects.create(name="Vielser", slug="vielser", active=False)
    Service.objects.create(subject_area=hidden, name="Vielse", slug="vielse")
    centre.passports.services.add(*Service.objects.filter(subject_area=hidden))

    response = kiosk.get(start_url(centre))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Hvad drejer din henvendelse sig om?" in page
    passports, register = centre.passport.subject_area, centre.moving.subject_area
    assert f'href="/kiosk/{centre.location.slug}/{passports.slug}/"' in page
    assert f'href="/kiosk/{centre.location.slug}/{register.slug}/"' in page
    assert "Vielser" not in page
    # Back to the start after inactivity, from the setting.
    assert 'data-idle-seconds="45"' in page
    assert f'data-start-url="/kiosk/{centre.location.slug}/start/"' in page


def test_the_idle_timeout_comes_from_the_setting(
    centre: Centre, kiosk: Client, settings: Any
) -> None:
    settings.SKRANKE_KIOSK_IDLE_SECONDS = 7
    assert 'data-idle-seconds="7"' in kiosk.get(start_url(centre)).content.decode()


def test_every_kiosk_page_reports_the_device_s_heartbeat_from_the_setting(
    centre: Centre, kiosk: Client, settings: Any
) -> None:
    settings.SKRANKE_DEVICE_HEARTBEAT_SECONDS = 9
    area = centre.passport.subject_area
    drawn = kiosk.post(draw_url(centre), {"service": centre.passport.pk})
    assert drawn.status_code == 302
    pages = [
        kiosk.get(start_url(centre)),
        kiosk.get(f"/kiosk/{centre.location.slug}/{area.slug}/"),
        kiosk.get(drawn["Location"]),
    ]

    for response in pages:
        page = response.content.decode()
        assert response.status_code == 200
        assert 'data-heartbeat-url="/api/v1/devices/heartbeat"' in page
        assert 'data-heartbeat-seconds="9"' in page
        assert re.search(r'data-csrf-token="[\w-]+"', page)
    # An anonymous visitor never gets a kiosk page, let alone its heartbeat.
    assert "heartbeat" not in Client().get(start_url(centre)).content.decode()


def test_an_area_shows_its_services_as_big_buttons_in_one_form(
    centre: Centre, kiosk: Client
) -> None:
    area = centre.passport.subject_area
    by_appointment = Service.objects.create(
        subject_area=area, name="Pas til børn (kun tidsbestilling)", slug="pas-barn", walk_in=False
    )
    centre.passports.services.add(by_appointment)

    response = kiosk.get(f"{start_url(centre)}{area.slug}/")

    assert response.status_code == 200
    page = response.content.decode()
    buttons = re.findall(
        r'<button class="kiosk-button" type="submit" name="service" value="(\d+)"', page
    )
    assert buttons == [str(centre.passport.pk)]
    assert f'action="{draw_url(centre)}"' in page
    # The page script lets only the first tap through (tests/browser/test_kiosk_page.py).
    assert "data-submit-once" in page


def test_an_unknown_area_is_404_and_an_area_with_nothing_to_draw_goes_back(
    centre: Centre, kiosk: Client
) -> None:
    empty = SubjectArea.objects.create(name="Pension", slug="pension")

    assert kiosk.get(f"{start_url(centre)}no-such-area/").status_code == 404
    back = kiosk.get(f"{start_url(centre)}{empty.slug}/")
    assert back.status_code == 302
    assert back["Location"] == start_url(centre)


# Drawing and showing a number -------------------------------------------------------------------


def test_drawing_shows_the_number_people_ahead_expected_wait_and_qr(
    centre: Centre, kiosk: Client
) -> None:
    open_counters(centre, [centre.passports])
    issue(centre)
    issue(centre)

    drawn = kiosk.post(draw_url(centre), {"service": centre.passport.pk})

    ticket = Ticket.objects.order_by("-id").first()
    assert ticket is not None and ticket.display_number == "P003"
    assert ticket.source == Source.KIOSK and ticket.service == centre.passport
    assert drawn.status_code == 302
    assert drawn["Location"] == f"{start_url(centre)}number/{ticket.token}/"

    response = kiosk.get(drawn["Location"])
    assert response.status_code == 200
    text = text_of(response)
    assert "Dit nummer P003" in text
    assert "Der er 2 personer foran dig." in text
    assert re.search(r"Forventet ventetid: ca\. \d+ minut(ter)?\.", text)
    mobile_url = f"http://testserver/t/{ticket.token}/"
    assert response.context["mobile_url"] == mobile_url
    # The QR code holds exactly the address of the citizen's mobile page.
    qr = segno.make(mobile_url, error="m").svg_data_uri(scale=5, border=2)
    assert f'src="{qr}"' in response.content.decode()
    assert re.search(r'<img class="kiosk-qr"[^>]+alt="[^"]+"', response.content.decode())


def test_the_first_in_line_is_told_they_are_next(centre: Centre, kiosk: Client) -> None:
    drawn = kiosk.post(draw_url(centre), {"service": centre.passport.pk})
    assert "Du er den næste i køen." in text_of(kiosk.get(drawn["Location"]))


def test_the_number_page_in_english_and_back_to_danish_for_the_next_citizen(
    centre: Centre, kiosk: Client
) -> None:
    drawn = kiosk.post(draw_url(centre), {"service": centre.passport.pk})
    switched = kiosk.post("/i18n/setlang/", {"language": "en", "next": drawn["Location"]})
    assert switched.status_code == 302

    english = kiosk.get(drawn["Location"])
    assert '<html lang="en">' in english.content.decode()
    assert "Your number P001" in text_of(english)
    assert "You are next in line." in text_of(english)

    reset = kiosk.get(f"{start_url(centre)}start/")
    assert reset.status_code == 302 and reset["Location"] == start_url(centre)
    assert reset.cookies["skranke_language"]["max-age"] == 0
    kiosk.cookies.pop("skranke_language", None)
    assert '<html lang="da">' in kiosk.get(start_url(centre)).content.decode()


def test_the_ticket_prints_on_80_mm_paper(centre: Centre, kiosk: Client) -> None:
    drawn = kiosk.post(draw_url(centre), {"service": centre.passport.pk})
    page = kiosk.get(drawn["Location"]).content.decode()

    assert 'href="/static/skranke/css/kiosk.css"' in page
    assert "data-print" in page
    assert re.search(r'class="[^"]*\bticket-print\b', page)
    stylesheet = finders.find("skranke/css/kiosk.css")
    assert stylesheet is not None
    with open(stylesheet, encoding="utf-8") as css:
        print_rules = css.read().split("@media print", 1)[1]
    assert re.search(r"@page\s*\{\s*size:\s*80mm auto;", print_rules)
    # The buttons, the QR code and the header are not printed.
    assert ".kiosk-follow" in print_rules and ".kiosk-actions" in print_rules


def test_a_number_of_another_centre_or_an_unknown_one_is_404(centre: Centre, kiosk: Client) -> None:
    other = make_centre()
    theirs = issue(other)

    assert kiosk.get(f"{start_url(centre)}number/{theirs.token}/").status_code == 404
    assert kiosk.get(f"{start_url(centre)}number/not-a-token/").status_code == 404


def test_each_draw_is_one_number_and_the_page_guards_double_taps(
    centre: Centre, kiosk: Client
) -> None:
    # The server treats every POST as a citizen drawing a number: two citizens may well choose
    # the same service one after the other. A double tap on one button is stopped in the page
    # (data-submit-once in kiosk.js), which the browser test checks.
    kiosk.post(draw_url(centre), {"service": centre.passport.pk})
    kiosk.post(draw_url(centre), {"service": centre.passport.pk})

    assert list(Ticket.objects.order_by("id").values_list("display_number", flat=True)) == [
        "P001",
        "P002",
    ]


# Refusals, said plainly -------------------------------------------------------------------------


def test_a_closed_centre_says_so_with_the_next_opening(centre: Centre, kiosk: Client) -> None:
    opens = close_until_tomorrow_nine(centre)

    start = kiosk.get(start_url(centre))
    drawn = kiosk.post(draw_url(centre), {"service": centre.passport.pk})

    assert start.status_code == 200
    start_text = text_of(start)
    assert "Vi har lukket" in start_text
    assert f"Vi åbner igen {danish_opening(opens)}." in start_text
    assert f'href="/kiosk/{centre.location.slug}/{centre.passport.subject_area.slug}/"' not in (
        start.content.decode()
    )
    assert drawn.status_code == 409
    assert "Borgerservicecentret er lukket." in text_of(drawn)
    assert f"Vi åbner igen {danish_opening(opens)}." in text_of(drawn)
    assert not Ticket.objects.exists()


def test_a_closed_centre_in_english(centre: Centre, kiosk: Client) -> None:
    close_until_tomorrow_nine(centre)
    kiosk.cookies["skranke_language"] = "en"

    start = text_of(kiosk.get(start_url(centre)))
    drawn = text_of(kiosk.post(draw_url(centre), {"service": centre.passport.pk}))

    assert "We are closed" in start and "We open again" in start and "at 09:00." in start
    assert "The citizen service centre is closed." in drawn and "at 09:00." in drawn


def test_after_the_cut_off_the_kiosk_says_no_more_numbers_today(
    centre: Centre, kiosk: Client
) -> None:
    open_today_until(centre.location, dt.timedelta(minutes=20))
    opens = open_tomorrow_at_nine(centre)
    centre.passports.cutoff_minutes = 30
    centre.passports.save(update_fields=["cutoff_minutes"])

    drawn = kiosk.post(draw_url(centre), {"service": centre.passport.pk})

    assert drawn.status_code == 409
    text = text_of(drawn)
    assert "Der udstedes ikke flere numre til denne kø i dag." in text
    assert f"Vi åbner igen {danish_opening(opens)}." in text
    assert not Ticket.objects.exists()
    # Another queue without a cut-off still takes numbers.
    assert kiosk.post(draw_url(centre), {"service": centre.moving.pk}).status_code == 302


def test_when_the_quota_is_used_up_the_kiosk_says_so(centre: Centre, kiosk: Client) -> None:
    open_today_until(centre.location, dt.timedelta(hours=1))
    opens = open_tomorrow_at_nine(centre)
    centre.passports.daily_quota = 1
    centre.passports.save(update_fields=["daily_quota"])
    assert kiosk.post(draw_url(centre), {"service": centre.passport.pk}).status_code == 302

    drawn = kiosk.post(draw_url(centre), {"service": centre.passport.pk})

    assert drawn.status_code == 409
    assert "Alle dagens numre til denne kø er udstedt." in text_of(drawn)
    assert f"Vi åbner igen {danish_opening(opens)}." in text_of(drawn)
    assert Ticket.objects.count() == 1


def test_a_closed_queue_says_why(centre: Centre, kiosk: Client) -> None:
    open_today_until(centre.location, dt.timedelta(hours=1))
    opens = open_tomorrow_at_nine(centre)
    services.close_queue_now(centre.passports, "Systemnedbrud hos Politiet", make_staff())

    drawn = kiosk.post(draw_url(centre), {"service": centre.passport.pk})

    assert drawn.status_code == 409
    assert "Køen er lukket resten af dagen: Systemnedbrud hos Politiet" in text_of(drawn)
    assert f"Vi åbner igen {danish_opening(opens)}." in text_of(drawn)
    assert not Ticket.objects.exists()


# Bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"service": ""},
        {"service": "abc"},
        {"service": "-1"},
        {"service": "999999"},
        {"service": "9" * 30},
        {"service": "1 OR 1=1"},
        {"service": "²"},
    ],
)
def test_garbage_is_a_plain_400(centre: Centre, kiosk: Client, data: dict[str, str]) -> None:
    response = kiosk.post(draw_url(centre), data)

    assert response.status_code == 400
    assert "Vælg en ydelse igen." in text_of(response)
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_a_service_of_another_centre_is_refused(centre: Centre, kiosk: Client) -> None:
    other = make_centre()

    response = kiosk.post(draw_url(centre), {"service": other.passport.pk})

    assert response.status_code == 409
    assert "Der kan ikke trækkes nummer til denne ydelse her." in text_of(response)
    assert not Ticket.objects.exists()


def test_a_get_on_the_draw_address_is_405(centre: Centre, kiosk: Client) -> None:
    assert kiosk.get(draw_url(centre), {"service": centre.passport.pk}).status_code == 405
    assert kiosk.post(start_url(centre)).status_code == 405
    assert not Ticket.objects.exists()


def test_an_unknown_or_inactive_centre_is_404(centre: Centre, kiosk: Client) -> None:
    assert kiosk.get("/kiosk/no-such-centre/").status_code == 404
    centre.location.active = False
    centre.location.save(update_fields=["active"])
    assert kiosk.get(start_url(centre)).status_code == 404
    assert kiosk.post(draw_url(centre), {"service": centre.passport.pk}).status_code == 404
