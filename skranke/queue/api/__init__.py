"""The number system's JSON API: citizens by unguessable token (citizen.py), staff by session or
token (staff.py), with their schemas (schemas.py)."""

from __future__ import annotations

from ninja import Router

from skranke.queue.api import check_in, citizen, staff

router = Router()
router.add_router("", citizen.router)
router.add_router("", check_in.router)
router.add_router("", staff.router)
