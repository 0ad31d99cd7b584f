"""The SMS "your turn is coming" on the mobile ticket: opting in and out on the page, the one
SMS when the citizen's turn is near, and the phone number erased when the visit ends."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from skranke.jobs.models import Job
from skranke.jobs.worker import Worker
from skranke.lib.localtime import local_date
from skranke.messaging.models import Message, MessageStatus
from skranke.messaging.services import PURGED_BEFORE_SENDING
from skranke.queue import services
from skranke.queue.models import CancelReason, Outcome, Ticket
from skranke.queue.services import notices
from skranke.queue.services.notices import SMS_NOTICE_JOB
from skranke.queue.tests.factories import (
    Centre,
    issue,
    make_centre,
    open_counters,
    use_api_test_settings,
)

Capture = Callable[..., AbstractContextManager[Any]]

ENGLISH_NEAR = (
    "Skranke: No. {number} — it is almost your turn at {centre}. There are {ahead} ahead of you."
)
DANISH_NEAR = "Skranke: Nr. {number} — det er snart din tur hos {centre}. Der er {ahead} foran dig."


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    use_api_test_settings(settings)
    settings.LANGUAGE_CODE = "da"
    settings.SKRANKE_SMS_NOTICE_PLACES_AHEAD = 3


@pytest.fixture
def sms_file(settings: Any, tmp_path: Path) -> Path:
    """Send SMS through the file backend; return the file its JSON lines go to."""
    settings.SKRANKE_SMS_BACKEND = "file"
    settings.SKRANKE_SMS_FILE = tmp_path / "sms.jsonl"
    return Path(settings.SKRANKE_SMS_FILE)


def sent_sms(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def centre(db: None) -> Centre:
    return make_centre()


def page_url(ticket: Ticket) -> str:
    return f"/t/{ticket.token}/"


def opt_in(client: Client, ticket: Ticket, phone: str) -> Any:
    return client.post(f"/t/{ticket.token}/sms/", {"phone": phone})


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Capture) -> Iterator[Callable[[], Any]]:
    """Run what a block registers with transaction.on_commit, as a real commit would."""
    yield lambda: django_capture_on_commit_callbacks(execute=True)


# The form on the page ---------------------------------------------------------------------------


def test_waiting_ticket_offers_an_accessible_form(centre: Centre) -> None:
    ticket = issue(centre)

    page = Client().get(page_url(ticket)).content.decode()

    assert f'action="/t/{ticket.token}/sms/"' in page
    assert '<label for="sms-phone">' in page
    assert 'id="sms-phone" name="phone" type="tel" autocomplete="tel" inputmode="tel"' in page
    assert 'aria-describedby="sms-help"' in page
    assert 'name="csrfmiddlewaretoken"' in page


@pytest.mark.parametrize(
    "typed",
    ["71935826", "71 93 58 26", "+45 71 93 58 26", "0045 7193 5826", "+4571935826", " 71935826 "],
)
def test_a_danish_number_is_kept_normalised_and_only_shown_masked(
    centre: Centre, typed: str
) -> None:
    ticket = issue(centre)
    client = Client()

    answer = opt_in(client, ticket, typed)

    assert answer.status_code == 302
    assert answer["Location"] == page_url(ticket)
    ticket.refresh_from_db()
    assert (ticket.notify_phone, ticket.notify_language) == ("+4571935826", "da")
    page = client.get(page_url(ticket)).content.decode()
    assert "•••• •• 26" in page
    assert "719358" not in page and "71 93" not in page and "7193" not in page
    assert f'action="/t/{ticket.token}/sms/withdraw/"' in page
    assert 'name="phone"' not in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("010190-1234", "This looks like a CPR number."),
        ("0101901234", "This looks like a CPR number."),
        ("abcdefgh", "Enter a Danish phone number of 8 digits"),
        ("7193582", "Enter a Danish phone number of 8 digits"),
        ("719358261", "Enter a Danish phone number of 8 digits"),
        ("+46 71935826", "Enter a Danish phone number of 8 digits"),
        ("", "This field is required."),
        ("7" * 40, "Ensure this value has at most 32 characters"),
    ],
)
def test_anything_else_is_refused_on_the_page_without_showing_it_back(
    centre: Centre, settings: Any, typed: str, message: str
) -> None:
    settings.LANGUAGE_CODE = "en"
    ticket = issue(centre)

    answer = opt_in(Client(), ticket, typed)

    assert answer.status_code == 400
    page = answer.content.decode()
    assert message in page
    assert 'id="sms-error"' in page
    assert 'aria-describedby="sms-help sms-error" aria-invalid="true"' in page
    if typed.strip():
        assert typed not in page
    ticket.refresh_from_db()
    assert ticket.notify_phone == ""


def test_refusal_is_in_danish_by_default(centre: Centre) -> None:
    answer = opt_in(Client(), issue(centre), "0101901234")

    assert answer.status_code == 400
    assert "CPR" in answer.content.decode()
    assert "This looks like" not in answer.content.decode()


def test_a_ticket_no_longer_waiting_refuses_with_409(centre: Centre) -> None:
    ticket = issue(centre)
    services.cancel(ticket, CancelReason.CITIZEN)

    answer = opt_in(Client(), ticket, "71935826")

    assert answer.status_code == 409
    assert 'role="alert"' in answer.content.decode()
    ticket.refresh_from_db()
    assert ticket.notify_phone == ""


def test_methods_and_unknown_tickets(centre: Centre) -> None:
    ticket = issue(centre)
    client = Client()

    assert client.get(f"/t/{ticket.token}/sms/")["Location"] == page_url(ticket)
    assert client.put(f"/t/{ticket.token}/sms/").status_code == 405
    assert client.get(f"/t/{ticket.token}/sms/withdraw/").status_code == 405
    assert client.post("/t/no-such-token/sms/", {"phone": "71935826"}).status_code == 404
    assert client.post("/t/no-such-token/sms/withdraw/").status_code == 404


def test_the_form_needs_the_csrf_token(centre: Centre) -> None:
    ticket = issue(centre)

    answer = Client(enforce_csrf_checks=True).post(f"/t/{ticket.token}/sms/", {"phone": "71935826"})

    assert answer.status_code == 403
    ticket.refresh_from_db()
    assert ticket.notify_phone == ""


def test_withdrawing_forgets_the_number(centre: Centre) -> None:
    ticket = issue(centre)
    client = Client()
    opt_in(client, ticket, "71935826")

    answer = client.post(f"/t/{ticket.token}/sms/withdraw/")

    assert answer.status_code == 302 and answer["Location"] == page_url(ticket)
    ticket.refresh_from_db()
    assert ticket.notify_phone == ""
    page = client.get(page_url(ticket)).content.decode()
    assert "•••• ••" not in page
    assert 'name="phone"' in page


def test_the_language_of_the_page_is_kept_for_the_sms(centre: Centre) -> None:
    ticket = issue(centre)
    client = Client()
    client.cookies["skranke_language"] = "en"

    opt_in(client, ticket, "71935826")

    ticket.refresh_from_db()
    assert ticket.notify_language == "en"


def test_the_api_says_whether_an_sms_is_asked_for_but_never_the_number(centre: Centre) -> None:
    ticket = issue(centre)
    client = Client()
    before = client.get(f"/api/v1/tickets/{ticket.token}").json()

    opt_in(client, ticket, "71935826")
    after = client.get(f"/api/v1/tickets/{ticket.token}")

    assert before["sms_notice"] is False
    assert after.json()["sms_notice"] is True
    assert "7193" not in after.content.decode() and "5826" not in after.content.decode()


# Sending ----------------------------------------------------------------------------------------


def test_one_sms_when_the_citizen_reaches_three_ahead(
    centre: Centre, sms_file: Path, capture: Callable[[], Any]
) -> None:
    tickets = [issue(centre) for _ in range(8)]
    target = tickets[6]
    client = Client()
    with capture():
        opt_in(client, target, "71935826")
    counters = open_counters(centre, [centre.passports])
    Worker().run_once()
    assert sent_sms(sms_file) == []

    # Three counters call in turn: 6 ahead → 5 → 4 → 3, when the SMS goes.
    called = []
    for staff, session in counters:
        with capture():
            called.append(services.call_next(session, staff))
        Worker().run_once()
        if len(called) < 3:
            assert sent_sms(sms_file) == []
    [sms] = sent_sms(sms_file)
    assert sms["to"] == "+4571935826"
    assert sms["text"] == DANISH_NEAR.format(
        number=target.display_number, centre=centre.location.name, ahead=3
    )

    # The rest of the line moves on at every counter until the citizen is served: no more SMS.
    for ticket, (staff, _session) in zip(called, counters, strict=True):
        services.finish(ticket, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)
    for (staff, session), _round in zip(counters * 2, range(4), strict=False):
        with capture():
            ticket = services.call_next(session, staff)
        Worker().run_once()
        assert ticket is not None
        services.finish(ticket, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)
    target.refresh_from_db()
    assert target.status == "finished"
    assert len(sent_sms(sms_file)) == 1
    assert Message.objects.count() == 1


def test_sms_in_english_for_a_citizen_who_read_the_page_in_english(
    centre: Centre, sms_file: Path, capture: Callable[[], Any]
) -> None:
    tickets = [issue(centre) for _ in range(5)]
    client = Client()
    client.cookies["skranke_language"] = "en"
    with capture():
        opt_in(client, tickets[4], "71935826")
    [(staff, session), *_others] = open_counters(centre, [centre.passports])

    with capture():
        services.call_next(session, staff)
    Worker().run_once()

    [sms] = sent_sms(sms_file)
    assert sms["text"] == ENGLISH_NEAR.format(
        number=tickets[4].display_number, centre=centre.location.name, ahead=3
    )
    assert Message.objects.get().language == "en"


def test_asking_when_already_near_sends_at_once(
    centre: Centre, sms_file: Path, capture: Callable[[], Any], settings: Any
) -> None:
    settings.LANGUAGE_CODE = "en"
    first, second = issue(centre), issue(centre)

    with capture():
        opt_in(Client(), second, "71935826")
    Worker().run_once()

    [sms] = sent_sms(sms_file)
    assert sms["text"].endswith("There is 1 ahead of you.")
    with capture():
        opt_in(Client(), first, "71935827")
    Worker().run_once()
    assert sent_sms(sms_file)[1]["text"].endswith("You are next.")
    # Asking again after the SMS went out changes nothing and sends nothing.
    again = opt_in(Client(), second, "71935899")
    assert again.status_code == 409
    second.refresh_from_db()
    assert second.notify_phone == "+4571935826"


def test_a_citizen_called_before_the_notice_gets_your_turn_now(
    centre: Centre, sms_file: Path, capture: Callable[[], Any], settings: Any
) -> None:
    settings.LANGUAGE_CODE = "en"
    tickets = [issue(centre) for _ in range(6)]
    with capture():
        opt_in(Client(), tickets[5], "71935826")
    [(staff, session), *_others] = open_counters(centre, [centre.passports])

    with capture():
        services.call_ticket(session, tickets[5], staff)
    Worker().run_once()

    [sms] = sent_sms(sms_file)
    assert sms["text"] == (
        f"Skranke: No. {tickets[5].display_number} — it is your turn now at "
        f"{centre.location.name}. Go to counter {session.counter.number}."
    )


def test_no_sms_after_the_citizen_cancelled(
    centre: Centre, sms_file: Path, capture: Callable[[], Any]
) -> None:
    tickets = [issue(centre) for _ in range(6)]
    client = Client()
    with capture():
        opt_in(client, tickets[5], "71935826")
    client.post(f"/t/{tickets[5].token}/cancel/")
    counters = open_counters(centre, [centre.passports])

    for staff, session in counters:
        with capture():
            services.call_next(session, staff)
        Worker().run_once()

    assert sent_sms(sms_file) == []
    assert Message.objects.count() == 0


def test_a_notice_not_yet_sent_when_the_visit_ends_is_never_sent(
    centre: Centre, sms_file: Path
) -> None:
    ticket = issue(centre)
    notices.opt_in(ticket, "71935826", "da")
    assert notices.send_due_notices(centre.passports.pk) == 1
    message = Message.objects.get()
    assert message.status == MessageStatus.PENDING

    services.cancel(ticket, CancelReason.CITIZEN)
    Worker().run_once()

    assert sent_sms(sms_file) == []
    message.refresh_from_db()
    assert (message.recipient, message.status) == ("", MessageStatus.FAILED)
    assert message.last_error == PURGED_BEFORE_SENDING


def test_withdrawing_stops_a_notice_not_yet_sent(centre: Centre, sms_file: Path) -> None:
    ticket = issue(centre)
    notices.opt_in(ticket, "71935826", "da")
    notices.send_due_notices(centre.passports.pk)

    Client().post(f"/t/{ticket.token}/sms/withdraw/")
    Worker().run_once()

    assert sent_sms(sms_file) == []
    assert Message.objects.get().recipient == ""


def test_a_call_enqueues_nothing_when_nobody_asked_for_an_sms(
    centre: Centre, capture: Callable[[], Any]
) -> None:
    issue(centre)
    issue(centre)
    [(staff, session), *_others] = open_counters(centre, [centre.passports])

    with capture():
        services.call_next(session, staff)

    assert Job.objects.filter(kind=SMS_NOTICE_JOB).count() == 0


def test_a_call_enqueues_one_check_when_someone_is_owed_an_sms(
    centre: Centre, capture: Callable[[], Any]
) -> None:
    tickets = [issue(centre) for _ in range(6)]
    notices.opt_in(tickets[5], "71935826", "da")
    [(staff, session), *_others] = open_counters(centre, [centre.passports])

    with capture():
        services.call_next(session, staff)

    assert Job.objects.filter(kind=SMS_NOTICE_JOB).count() == 1


# Erased when the visit ends ---------------------------------------------------------------------


def _finish(ticket: Ticket, centre: Centre) -> None:
    [(staff, session), *_others] = open_counters(centre, [centre.passports])
    services.call_ticket(session, ticket, staff)
    services.finish(ticket, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)


def _cancel_by_citizen(ticket: Ticket, centre: Centre) -> None:
    assert Client().post(f"/t/{ticket.token}/cancel/").status_code == 302


def _cancel_by_staff(ticket: Ticket, centre: Centre) -> None:
    [(staff, session), *_others] = open_counters(centre, [centre.passports])
    services.call_ticket(session, ticket, staff)
    services.cancel(ticket, CancelReason.STAFF, staff)


def _no_show(ticket: Ticket, centre: Centre) -> None:
    [(staff, session), *_others] = open_counters(centre, [centre.passports])
    services.call_ticket(session, ticket, staff)
    services.recall(ticket, staff)
    services.mark_no_show(ticket, staff)


def _closed_at_end_of_day(ticket: Ticket, centre: Centre) -> None:
    tomorrow = local_date(timezone.now()) + dt.timedelta(days=1)
    assert services.close_days_before(tomorrow) == 1


@pytest.mark.parametrize(
    ("end", "status"),
    [
        (_finish, "finished"),
        (_cancel_by_citizen, "cancelled"),
        (_cancel_by_staff, "cancelled"),
        (_no_show, "no_show"),
        (_closed_at_end_of_day, "cancelled"),
    ],
    ids=["finished", "cancelled-by-citizen", "cancelled-by-staff", "no-show", "closed"],
)
def test_the_number_is_erased_when_the_visit_ends(
    centre: Centre,
    sms_file: Path,
    end: Callable[[Ticket, Centre], None],
    status: str,
    capture: Callable[[], Any],
) -> None:
    ticket = issue(centre)
    with capture():
        opt_in(Client(), ticket, "71935826")
    Worker().run_once()
    message = Message.objects.get()
    assert (message.status, message.recipient) == (MessageStatus.SENT, "+4571935826")

    end(ticket, centre)

    ticket.refresh_from_db()
    assert ticket.status == status
    assert ticket.notify_phone == ""
    message.refresh_from_db()
    assert (message.recipient, message.body, message.status) == ("", "", MessageStatus.SENT)
    assert message.purged_at is not None
    assert not Ticket.objects.exclude(notify_phone="").exists()
    assert not Message.objects.exclude(recipient="").exists()
