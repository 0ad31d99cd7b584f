from __future__ import annotations

from django.urls import path

from skranke.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("statistics/", views.statistics, name="statistics"),
    path("floor/<slug:slug>/", views.live_floor, name="live-floor"),
    path("floor/<slug:slug>/panel/", views.live_floor_panel, name="live-floor-panel"),
    path(
        "floor/<slug:slug>/counters/<int:counter_id>/close/",
        views.close_colleague_counter,
        name="close-counter",
    ),
]
