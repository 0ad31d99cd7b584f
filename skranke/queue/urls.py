from __future__ import annotations

from django.urls import path

from skranke.queue.views import display, floor_guide, kiosk, mobile
from skranke.queue.views.counter import page as counter

app_name = "queue"
urlpatterns = [
    path("kiosk/<slug:slug>/", kiosk.start, name="kiosk"),
    path("kiosk/<slug:slug>/start/", kiosk.reset, name="kiosk-reset"),
    path("kiosk/<slug:slug>/draw/", kiosk.draw, name="kiosk-draw"),
    path("kiosk/<slug:slug>/number/<str:token>/", kiosk.number, name="kiosk-number"),
    # Before the subject areas' pattern, which would take "check-in" for an area otherwise.
    # Subject areas may not take the kiosk's own words (catalogue.KIOSK_ROUTE_WORDS).
    path("kiosk/<slug:slug>/check-in/", kiosk.check_in_page, name="kiosk-check-in"),
    path("kiosk/<slug:slug>/<slug:area_slug>/", kiosk.area, name="kiosk-area"),
    path("display/<slug:slug>/", display.display, name="display"),
    path("t/<str:token>/", mobile.ticket_page, name="mobile"),
    path("t/<str:token>/cancel/", mobile.cancel, name="mobile-cancel"),
    path("t/<str:token>/sms/", mobile.sms_opt_in, name="mobile-sms"),
    path("t/<str:token>/sms/withdraw/", mobile.sms_withdraw, name="mobile-sms-withdraw"),
    path("counter/", counter.choose, name="counter-choose"),
    path("counter/open/", counter.open_chosen_counter, name="counter-open"),
    path("counter/<int:counter_id>/", counter.working_page, name="counter"),
    path("counter/<int:counter_id>/queues/", counter.queue_panel, name="counter-queues"),
    path("counter/<int:counter_id>/pause/", counter.pause, name="counter-pause"),
    path("counter/<int:counter_id>/resume/", counter.resume_paused_counter, name="counter-resume"),
    path("counter/<int:counter_id>/close/", counter.close, name="counter-close"),
    path("counter/<int:counter_id>/call-next/", counter.call_next, name="counter-call-next"),
    path("counter/<int:counter_id>/call/", counter.call_number, name="counter-call"),
    path(
        "counter/<int:counter_id>/tickets/<int:ticket_id>/<slug:action>/",
        counter.ticket_view,
        name="counter-ticket",
    ),
    path("floor/<slug:slug>/", floor_guide.start, name="floor"),
    path("floor/<slug:slug>/number/<str:token>/", floor_guide.number, name="floor-number"),
]
