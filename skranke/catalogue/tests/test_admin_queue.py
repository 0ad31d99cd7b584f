"""Queues in the admin: prefixes unique per centre, one front queue per service and centre."""

from __future__ import annotations

import itertools
from typing import Any

from django.test import Client

from skranke.catalogue.models import Queue, QueueKind, Service, SubjectArea
from skranke.organisation.models import Location

ADD_URL = "/admin/catalogue/queue/add/"
_numbers = itertools.count()


def make_location(**fields: Any) -> Location:
    number = next(_numbers)
    fields.setdefault("name", f"Borgerservice {number}")
    fields.setdefault("slug", f"borgerservice-{number}")
    return Location.objects.create(**fields)


def make_service(name: str = "Pas") -> Service:
    number = next(_numbers)
    area, _created = SubjectArea.objects.get_or_create(
        slug="pas-og-koerekort", defaults={"name": "Pas og kørekort"}
    )
    return Service.objects.create(subject_area=area, name=name, slug=f"{name.lower()}-{number}")


def make_queue(
    location: Location,
    prefix: str,
    services: list[Service] | None = None,
    kind: QueueKind = QueueKind.FRONT,
) -> Queue:
    queue = Queue.objects.create(location=location, prefix=prefix, name=f"Kø {prefix}", kind=kind)
    queue.services.set(services or [])
    return queue


def queue_data(
    location: Location,
    prefix: str = "A",
    services: list[Service] | None = None,
    kind: QueueKind = QueueKind.FRONT,
    **fields: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "location": str(location.pk),
        "prefix": prefix,
        "name": f"Kø {prefix}",
        "name_en": "",
        "kind": kind.value,
        "active": "on",
        "sort_order": "0",
        "services": [str(service.pk) for service in services or []],
        "daily_quota": "",
        "cutoff_minutes": "0",
    }
    data.update(fields)
    return data


def test_add_saves_a_queue_with_its_services(admin_client: Client) -> None:
    location = make_location()
    passport, licence = make_service("Pas"), make_service("Kørekort")
    response = admin_client.post(
        ADD_URL, queue_data(location, "PAS", [passport, licence], daily_quota="120")
    )
    assert response.status_code == 302
    queue = Queue.objects.get()
    assert (queue.location, queue.prefix, queue.kind, queue.daily_quota) == (
        location,
        "PAS",
        QueueKind.FRONT,
        120,
    )
    assert set(queue.services.all()) == {passport, licence}


def test_a_prefix_used_at_the_same_centre_is_refused(admin_client: Client) -> None:
    location = make_location()
    make_queue(location, "A")
    response = admin_client.post(ADD_URL, queue_data(location, "A", name="Anden kø"))
    assert response.status_code == 200
    assert "Borgerservicecentret har allerede en kø med dette præfiks." in (
        response.content.decode()
    )
    assert Queue.objects.count() == 1


def test_the_same_prefix_at_another_centre_is_accepted(admin_client: Client) -> None:
    make_queue(make_location(), "A")
    other = make_location()
    assert admin_client.post(ADD_URL, queue_data(other, "A")).status_code == 302
    assert Queue.objects.filter(prefix="A").count() == 2


def test_bad_prefixes_are_refused(admin_client: Client) -> None:
    location = make_location()
    for prefix in ("a1", "a", "A1", "ABCD", "-"):
        response = admin_client.post(ADD_URL, queue_data(location, prefix))
        assert response.status_code == 200, prefix
        assert response.context["adminform"].form.has_error("prefix"), prefix
    assert "Et præfiks er et til tre store bogstaver, fx A eller PAS." in (
        admin_client.post(ADD_URL, queue_data(location, "a1")).content.decode()
    )
    assert not Queue.objects.exists()


def test_danish_letters_are_good_prefixes(admin_client: Client) -> None:
    location = make_location()
    assert admin_client.post(ADD_URL, queue_data(location, "ÆØÅ")).status_code == 302
    assert Queue.objects.get().prefix == "ÆØÅ"


def test_a_service_in_two_front_queues_at_one_centre_is_refused(admin_client: Client) -> None:
    location = make_location()
    passport, licence = make_service("Pas"), make_service("Kørekort")
    make_queue(location, "A", [passport])
    response = admin_client.post(ADD_URL, queue_data(location, "B", [passport, licence]))
    assert response.status_code == 200
    assert "Pas hører allerede til kø A i dette borgerservicecenter." in (response.content.decode())
    assert response.context["adminform"].form.has_error("services")
    assert Queue.objects.count() == 1


def test_changing_a_queue_to_take_a_service_of_another_queue_is_refused(
    admin_client: Client,
) -> None:
    location = make_location()
    passport, licence = make_service("Pas"), make_service("Kørekort")
    make_queue(location, "A", [passport])
    queue = make_queue(location, "B", [licence])
    response = admin_client.post(
        f"/admin/catalogue/queue/{queue.pk}/change/", queue_data(location, "B", [licence, passport])
    )
    assert response.status_code == 200
    assert set(queue.services.all()) == {licence}


def test_saving_a_queue_again_does_not_clash_with_itself(admin_client: Client) -> None:
    location = make_location()
    passport = make_service("Pas")
    queue = make_queue(location, "A", [passport])
    response = admin_client.post(
        f"/admin/catalogue/queue/{queue.pk}/change/",
        queue_data(location, "A", [passport], name="Pas og ID"),
    )
    assert response.status_code == 302
    queue.refresh_from_db()
    assert queue.name == "Pas og ID"
    assert list(queue.services.all()) == [passport]


def test_a_service_may_be_in_front_queues_at_different_centres(admin_client: Client) -> None:
    passport = make_service("Pas")
    make_queue(make_location(), "A", [passport])
    response = admin_client.post(ADD_URL, queue_data(make_location(), "A", [passport]))
    assert response.status_code == 302
    assert passport.queues.count() == 2


def test_a_service_may_also_be_in_a_back_office_queue(admin_client: Client) -> None:
    location = make_location()
    passport = make_service("Pas")
    make_queue(location, "A", [passport])
    response = admin_client.post(
        ADD_URL, queue_data(location, "BO", [passport], kind=QueueKind.BACK)
    )
    assert response.status_code == 302
    assert passport.queues.count() == 2


def test_a_daily_quota_of_zero_is_refused(admin_client: Client) -> None:
    response = admin_client.post(ADD_URL, queue_data(make_location(), daily_quota="0"))
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("daily_quota")
    assert not Queue.objects.exists()


def test_anonymous_users_cannot_add_queues(client: Client, db: None) -> None:
    response = client.post(ADD_URL, queue_data(make_location()))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not Queue.objects.exists()
