from __future__ import annotations

from django.urls import path

from skranke.access import views

app_name = "access"
urlpatterns = [
    path("pair/<str:token>/", views.pair, name="pair"),
    path("this/", views.this_device, name="this-device"),
]
