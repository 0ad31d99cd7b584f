"""Subject areas and services in the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from skranke.catalogue.models import Service, SubjectArea

AREA_URL = "/admin/catalogue/subjectarea/add/"
SERVICE_URL = "/admin/catalogue/service/add/"
BAD_KLE = "En KLE-kode ser ud som 05, 05.04 eller 05.04.02."


def make_area(name: str = "Pas og kørekort", slug: str = "pas") -> SubjectArea:
    return SubjectArea.objects.create(name=name, slug=slug)


def area_data(**fields: Any) -> dict[str, Any]:
    data = {
        "name": "Sygesikring",
        "name_en": "Health insurance",
        "slug": "sygesikring",
        "kle_code": "",
        "sort_order": "0",
        "active": "on",
    }
    data.update(fields)
    return data


def service_data(area: SubjectArea, **fields: Any) -> dict[str, Any]:
    data = {
        "subject_area": str(area.pk),
        "name": "Nyt pas",
        "name_en": "New passport",
        "slug": "nyt-pas",
        "active": "on",
        "sort_order": "0",
        "typical_duration": "15",
        "walk_in": "on",
        "bookable": "on",
        "what_to_bring": "Gammelt pas og foto",
        "what_to_bring_en": "",
    }
    data.update(fields)
    return data


@pytest.mark.parametrize("code", ["", "05", "05.04", "05.04.02"])
def test_subject_area_with_a_good_kle_code_is_saved(admin_client: Client, code: str) -> None:
    response = admin_client.post(AREA_URL, area_data(kle_code=code))
    assert response.status_code == 302
    area = SubjectArea.objects.get(slug="sygesikring")
    assert (area.name, area.name_en, area.kle_code) == ("Sygesikring", "Health insurance", code)


@pytest.mark.parametrize("code", ["5", "05.4", "05.04.02.01", "ab", "05-04", "05."])
def test_subject_area_with_a_bad_kle_code_is_refused(admin_client: Client, code: str) -> None:
    response = admin_client.post(AREA_URL, area_data(kle_code=code))
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("kle_code")
    if len(code) <= 8:
        assert BAD_KLE in response.content.decode()
    assert not SubjectArea.objects.exists()


def test_subject_area_names_are_unique(admin_client: Client) -> None:
    make_area(name="Sygesikring", slug="sundhed")
    response = admin_client.post(AREA_URL, area_data())
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("name")
    assert SubjectArea.objects.count() == 1


def test_service_is_saved_in_its_subject_area(admin_client: Client) -> None:
    area = make_area()
    response = admin_client.post(SERVICE_URL, service_data(area))
    assert response.status_code == 302
    service = Service.objects.get(slug="nyt-pas")
    assert service.subject_area == area
    assert (service.typical_duration, service.bookable, service.walk_in) == (15, True, True)
    assert service.display_what_to_bring("en") == "Gammelt pas og foto"


def test_service_with_zero_duration_is_refused(admin_client: Client) -> None:
    response = admin_client.post(SERVICE_URL, service_data(make_area(), typical_duration="0"))
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("typical_duration")
    assert not Service.objects.exists()


def test_service_name_is_unique_within_its_subject_area(admin_client: Client) -> None:
    area = make_area()
    Service.objects.create(subject_area=area, name="Nyt pas", slug="pas-1")
    response = admin_client.post(SERVICE_URL, service_data(area))
    assert response.status_code == 200
    assert Service.objects.count() == 1
    other = make_area(name="Andet", slug="andet")
    assert admin_client.post(SERVICE_URL, service_data(other)).status_code == 302


def test_service_list_shows_queue_prefixes(admin_client: Client) -> None:
    from skranke.catalogue.models import Queue
    from skranke.organisation.models import Location

    service = Service.objects.create(subject_area=make_area(), name="Nyt pas", slug="nyt-pas")
    location = Location.objects.create(name="Centrum", slug="centrum")
    Queue.objects.create(location=location, prefix="PAS", name="Pas").services.add(service)
    response = admin_client.get("/admin/catalogue/service/")
    assert response.status_code == 200
    assert "PAS" in response.content.decode()
