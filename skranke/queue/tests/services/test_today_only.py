"""Calling takes only the current local day's numbers: yesterday's leftovers, still waiting in
the minutes before the end-of-day job closes them, are never called."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from skranke.lib.localtime import local_date
from skranke.queue import services
from skranke.queue.errors import IllegalTransition
from skranke.queue.models import Source, TicketStatus
from skranke.queue.tests.factories import Centre, copenhagen, make_staff

pytestmark = pytest.mark.django_db


def test_call_next_skips_yesterdays_leftovers(centre: Centre) -> None:
    today = local_date(timezone.now())
    yesterday = today - dt.timedelta(days=1)
    leftover = services.issue_ticket(
        centre.location, centre.passport, source=Source.KIOSK, now=copenhagen(yesterday, 23, 50)
    )
    fresh = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])

    called = services.call_next(session, staff)
    colleague = make_staff()
    other_desk = services.open_counter(centre.counters[1], colleague, [centre.passports])
    nobody = services.call_next(other_desk, colleague)

    assert called is not None and called.pk == fresh.pk
    assert nobody is None
    leftover.refresh_from_db()
    assert leftover.status == TicketStatus.WAITING


def test_calling_yesterdays_number_by_hand_is_refused(centre: Centre) -> None:
    yesterday = local_date(timezone.now()) - dt.timedelta(days=1)
    leftover = services.issue_ticket(
        centre.location, centre.passport, source=Source.KIOSK, now=copenhagen(yesterday, 15, 0)
    )
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])

    with pytest.raises(IllegalTransition) as refused:
        services.call_ticket(session, leftover, staff)

    assert refused.value.code == "not_today"
    leftover.refresh_from_db()
    assert leftover.status == TicketStatus.WAITING
