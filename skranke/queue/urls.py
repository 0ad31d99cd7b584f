from __future__ import annotations

from django.urls import path

from skranke.queue import display, kiosk, mobile

app_name = "queue"
urlpatterns = [
    path("kiosk/<slug:slug>/", kiosk.start, name="kiosk"),
    path("kiosk/<slug:slug>/start/", kiosk.reset, name="kiosk-reset"),
    path("kiosk/<slug:slug>/draw/", kiosk.draw, name="kiosk-draw"),
    path("kiosk/<slug:slug>/number/<str:token>/", kiosk.number, name="kiosk-number"),
    path("kiosk/<slug:slug>/<slug:area_slug>/", kiosk.area, name="kiosk-area"),
    path("display/<slug:slug>/", display.display, name="display"),
    path("t/<str:token>/", mobile.ticket_page, name="mobile"),
    path("t/<str:token>/cancel/", mobile.cancel, name="mobile-cancel"),
]
