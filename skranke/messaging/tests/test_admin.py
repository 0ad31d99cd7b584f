"""The messages admin: read-only, recipients masked in the list, "send again" for failed ones."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from skranke.jobs.worker import Worker
from skranke.messaging.models import Channel, Message, MessageStatus
from skranke.messaging.services import send_message

CHANGELIST = reverse("admin:messaging_message_changelist")


def test_list_masks_recipients(db: None, admin_client: Client, mailoutbox: list[Any]) -> None:
    send_message(channel=Channel.SMS, recipient="12345678", body="Det er din tur")
    send_message(
        channel=Channel.EMAIL, recipient="jens.hansen@example.dk", subject="Tid", body="Hej"
    )

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "12345678" not in html
    assert "jens.hansen" not in html
    assert "+45 •••• ••78" in html
    assert "j•••@example.dk" in html


def test_detail_page_shows_the_message_read_only(db: None, admin_client: Client) -> None:
    message = send_message(channel=Channel.SMS, recipient="12345678", body="Det er din tur")
    url = reverse("admin:messaging_message_change", args=[message.id])

    page = admin_client.get(url)
    admin_client.post(url, {"recipient": "87654321", "body": "Ændret"})

    assert page.status_code == 200
    assert "+4512345678" in page.content.decode()
    message.refresh_from_db()
    assert (message.recipient, message.body) == ("+4512345678", "Det er din tur")
    assert admin_client.get(reverse("admin:messaging_message_add")).status_code == 403


def test_send_again_reopens_failed_messages_only(
    db: None, admin_client: Client, mailoutbox: list[Any]
) -> None:
    failed = send_message(channel=Channel.EMAIL, recipient="a@example.dk", subject="S", body="B")
    Message.objects.filter(id=failed.id).update(status=MessageStatus.FAILED)
    sent = send_message(channel=Channel.EMAIL, recipient="b@example.dk", subject="S", body="B")
    Worker().run_once()
    assert [email.to for email in mailoutbox] == [["b@example.dk"]]

    response = admin_client.post(
        CHANGELIST, {"action": "send_again", "_selected_action": [failed.id, sent.id]}, follow=True
    )
    Worker().run_once()

    assert response.status_code == 200
    assert [email.to for email in mailoutbox] == [["b@example.dk"], ["a@example.dk"]]
    failed.refresh_from_db()
    assert failed.status == MessageStatus.SENT


def test_send_again_needs_the_permission_to_change_messages(
    db: None, client: Client, django_user_model: Any
) -> None:
    failed = send_message(channel=Channel.SMS, recipient="12345678", body="B")
    Message.objects.filter(id=failed.id).update(status=MessageStatus.FAILED)
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_message"))
    client.force_login(viewer)

    listing = client.get(CHANGELIST)
    client.post(CHANGELIST, {"action": "send_again", "_selected_action": [failed.id]})

    assert listing.status_code == 200
    assert "send_again" not in listing.content.decode()
    failed.refresh_from_db()
    assert failed.status == MessageStatus.FAILED
