from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from skranke.api import api
from skranke.core import views

urlpatterns = [
    # First: the API takes most requests, and each pattern tried before a match costs time.
    path("api/v1/", api.urls),
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("devices/", include("skranke.access.urls")),
    path("", include("skranke.queue.urls")),
]
