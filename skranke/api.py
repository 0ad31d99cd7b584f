"""The JSON API at /api/v1/, documented at /api/v1/openapi.json and /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from skranke.organisation.api import router as organisation_router

api = NinjaAPI(
    title="Skranke API",
    version="1",
    description="Queues, appointments and contacts for a Danish citizen service centre.",
    urls_namespace="api",
)
api.add_router("/locations", organisation_router)
