"""The booking app's addresses outside the API.

The citizen's page for an appointment is ``/booking/manage/<code>/<secret>/``
(skranke.booking.services.manage_url builds it); its calendar file lives beneath it. A route
parameter named ``secret`` is masked in every log line (skranke.core.secret_paths).
"""

from __future__ import annotations

from django.urls import path

from skranke.booking import views

app_name = "booking"
urlpatterns = [
    path(
        "booking/manage/<str:code>/<str:secret>/calendar.ics",
        views.calendar_file,
        name="calendar",
    ),
]
