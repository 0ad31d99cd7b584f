"""The demo as a manager first sees it: the home page and the live floor of the centre open
around the clock show its open counters, waiting citizens and devices."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from skranke.core.demo import DEMO_PASSWORD, load_demo
from skranke.organisation.models import Location
from skranke.queue.models import CounterSession, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 11, 10, 10, 30, tzinfo=dt.UTC), tick=True)
def test_the_demo_manager_sees_the_floor() -> None:
    load_demo()
    client = Client()
    signed_in = client.post(
        "/admin/login/", {"username": "leder", "password": DEMO_PASSWORD}, follow=True
    )
    assert signed_in.request["PATH_INFO"] == "/staff/"
    centre = Location.objects.get(always_open=True)
    waiting = Ticket.objects.filter(location=centre, status=TicketStatus.WAITING).count()
    home = signed_in.content.decode()
    card = home.split(f'data-centre="{centre.slug}"', 1)[1].split("</li>", 1)[0]
    assert re.search(rf'data-figure="waiting">{waiting}<', card)
    assert waiting > 0

    floor = client.get(f"/staff/floor/{centre.slug}/").content.decode()
    open_sessions = CounterSession.objects.filter(
        counter__location=centre, closed_at__isnull=True
    ).select_related("staff", "counter")
    assert open_sessions.count() == 2
    for session in open_sessions:
        row = floor.split(f'data-counter="{session.counter.number}"', 1)[1].split("</tr>", 1)[0]
        assert session.staff.get_full_name() in row
    assert sum(int(n) for n in re.findall(r'data-figure="waiting">(\d+)<', floor)) == waiting
    assert {"kiosk", "display", "counter_screen"} <= {
        device.purpose for device in centre.devices.all()
    }
    for device in centre.devices.all():
        assert f'data-device="{device.pk}"' in floor
