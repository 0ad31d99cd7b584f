"""The booking app's addresses outside the API.

The citizen's page for an appointment is ``/booking/manage/<code>/<secret>/``
(skranke.booking.services.manage_url builds it); its calendar file lives beneath it. A route
parameter named ``secret`` is masked in every log line (skranke.core.secret_paths).
"""

from __future__ import annotations

from django.urls import path

from skranke.booking import views
from skranke.booking.pages import citizen, day, staff

app_name = "booking"
urlpatterns = [
    path(
        "booking/manage/<str:code>/<str:secret>/calendar.ics",
        views.calendar_file,
        name="calendar",
    ),
]

# The booking pages (skranke.booking.pages). The appointment's own pages come first: a centre
# whose short name were "manage" must not take their addresses.
urlpatterns += [
    path("booking/manage/<str:code>/<str:secret>/", citizen.manage, name="manage"),
    path(
        "booking/manage/<str:code>/<str:secret>/confirmation/",
        citizen.confirmation,
        name="confirmation",
    ),
    path("booking/manage/<str:code>/<str:secret>/move/", citizen.move, name="manage-move"),
    path("booking/manage/<str:code>/<str:secret>/cancel/", citizen.cancel, name="manage-cancel"),
    path("booking/", citizen.start, name="start"),
    path("booking/<slug:slug>/", citizen.centre, name="centre"),
    path("booking/<slug:slug>/<slug:service_slug>/", citizen.times, name="times"),
    path("booking/<slug:slug>/<slug:service_slug>/hold/", citizen.hold, name="hold"),
    path(
        "booking/<slug:slug>/<slug:service_slug>/hold/<str:token>/",
        citizen.details,
        name="details",
    ),
    path("staff/appointments/", staff.start, name="staff"),
    # Before the appointment's own pages: "day" is no reference code, but a centre whose short
    # name were "move" or "cancel" would otherwise reach them.
    path("staff/appointments/day/<slug:slug>/", day.day_view, name="staff-day"),
    path("staff/appointments/day/<slug:slug>/panel/", day.day_panel, name="staff-day-panel"),
    path(
        "staff/appointments/book/<slug:slug>/<slug:service_slug>/",
        staff.times,
        name="staff-times",
    ),
    path(
        "staff/appointments/book/<slug:slug>/<slug:service_slug>/hold/",
        staff.hold,
        name="staff-hold",
    ),
    path(
        "staff/appointments/book/<slug:slug>/<slug:service_slug>/hold/<str:token>/",
        staff.details,
        name="staff-details",
    ),
    path("staff/appointments/<str:code>/", staff.appointment, name="staff-appointment"),
    path("staff/appointments/<str:code>/move/", staff.move, name="staff-move"),
    path("staff/appointments/<str:code>/cancel/", staff.cancel, name="staff-cancel"),
]
