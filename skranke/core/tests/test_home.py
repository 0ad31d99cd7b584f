from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_home_page_answers_in_danish_by_default(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "da"
