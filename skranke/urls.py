from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from skranke.api import api
from skranke.core import views
from skranke.core.outage import bad_request, server_error

urlpatterns = [
    # First: the API takes most requests, and each pattern tried before a match costs time.
    path("api/v1/", api.urls),
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("staff/", include("skranke.reports.urls")),
    path("devices/", include("skranke.access.urls")),
    path("", include("skranke.booking.urls")),
    path("", include("skranke.queue.urls")),
]

# While the database cannot be reached: 503 with Retry-After, not a 500 or, when saving a
# session failed, a 400 (skranke.core.outage).
handler400 = bad_request
handler500 = server_error
