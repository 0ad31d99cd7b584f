"""The page shown when django-axes has paused sign-in after repeated failures."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def login_locked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Answer 429 with a page saying sign-in is paused, for how long, and what to do.

    django-axes calls this as AXES_LOCKOUT_CALLABLE with the original response and the
    credentials, in an order that differs between its sync and async paths; neither is needed
    here, and the user name is not repeated back.
    """
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = math.ceil(cool_off.total_seconds() / 60)
    context = {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT}
    response = render(request, "audit/login_locked.html", context, status=429)
    # Each further attempt during the pause starts it again, so the whole pause is the wait.
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
