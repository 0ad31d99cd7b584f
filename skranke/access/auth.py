"""Authentication for the JSON API: bearer tokens, staff sessions and paired devices."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer, SessionAuth

from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.services import user_for_api_token


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer skr_…`; the request then acts as the token's staff member."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_api_token(token)
        if user is not None:
            # The permission helpers read request.user, for tokens as for sessions.
            request.user = user
        return user


class DeviceAuth(APIKeyCookie):
    """A paired device's sign-in cookie (DeviceMiddleware has already checked it)."""

    param_name = DEVICE_COOKIE

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return getattr(request, "device", None)


api_token_auth = ApiTokenAuth()
staff_session_auth = SessionAuth()
device_auth = DeviceAuth()

# Endpoints for staff (pages use the session, integrations a token) and paired devices.
STAFF_OR_DEVICE = [api_token_auth, staff_session_auth, device_auth]
STAFF = [api_token_auth, staff_session_auth]
