"""What the day simulation needs to know of a demo centre, read from the database once.

Which queue takes a service and which queues and team a counter session of an employee gets are
the engine's own answers (queue_for_service, default_queues, default_team), so the history
follows the same rules as the floor.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from skranke.catalogue.models import QueueKind, Service
from skranke.core.demo_data import FLOOR_GUIDES, HISTORY_ROSTER
from skranke.core.demo_history.profile import AREA_SHARE, CENTRES, SERVICE_WEIGHT, CentreShape
from skranke.organisation.models import Location
from skranke.queue import services
from skranke.queue.errors import IssueRefused


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    slug: str
    area_id: int
    area_slug: str
    minutes: int
    bookable: bool
    queue_id: int
    # The service's share of the centre's visits.
    share: float


@dataclass(frozen=True)
class QueueInfo:
    id: int
    prefix: str
    is_back_office: bool
    cutoff_minutes: int
    daily_quota: int | None


@dataclass(frozen=True)
class StaffInfo:
    user_id: int
    team_id: int | None
    queue_ids: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class CentreContext:
    location: Location
    shape: CentreShape
    services: list[ServiceInfo]
    queues: dict[int, QueueInfo]
    counter_ids: list[int]
    staff: list[StaffInfo]
    floor_guide_id: int | None

    @property
    def back_office_queue_id(self) -> int | None:
        return next((queue.id for queue in self.queues.values() if queue.is_back_office), None)

    def areas_of_queue(self, queue_id: int) -> list[int]:
        """Return the subject areas of the services ``queue_id`` takes, in a stable order."""
        return sorted(
            {service.area_id for service in self.services if service.queue_id == queue_id}
        )


def load_centre(slug: str) -> CentreContext | None:
    """Return what the simulation needs of the demo centre ``slug``, or None when it is missing
    or has nobody to staff it."""
    location = Location.objects.filter(slug=slug, active=True).first()
    if location is None or slug not in CENTRES:
        return None
    queues = {
        queue.pk: QueueInfo(
            id=queue.pk,
            prefix=queue.prefix,
            is_back_office=queue.kind == QueueKind.BACK,
            cutoff_minutes=queue.cutoff_minutes,
            daily_quota=queue.daily_quota,
        )
        for queue in location.queues.filter(active=True).order_by("sort_order", "prefix")
    }
    staff = _staff(location, slug)
    if not staff or not queues:
        return None
    return CentreContext(
        location=location,
        shape=CENTRES[slug],
        services=_services(location),
        queues=queues,
        counter_ids=list(
            location.counters.filter(active=True).order_by("number").values_list("pk", flat=True)
        ),
        staff=staff,
        floor_guide_id=(
            get_user_model()
            .objects.filter(username=FLOOR_GUIDES.get(slug, ""))
            .values_list("pk", flat=True)
            .first()
        ),
    )


def _services(location: Location) -> list[ServiceInfo]:
    drawable = []
    for service in Service.objects.filter(active=True, walk_in=True).select_related("subject_area"):
        try:
            queue = services.queue_for_service(location, service)
        except IssueRefused:
            continue
        drawable.append((service, queue.pk))
    # Each subject area's share (of the areas served here) is split over its services by weight.
    areas = {service.subject_area.slug for service, _queue in drawable}
    area_total = sum(AREA_SHARE.get(area, 0.0) for area in areas) or 1.0
    weights: dict[str, float] = {}
    for service, _queue in drawable:
        area = service.subject_area.slug
        weights[area] = weights.get(area, 0.0) + SERVICE_WEIGHT.get(service.slug, 1.0)
    return [
        ServiceInfo(
            id=service.pk,
            slug=service.slug,
            area_id=service.subject_area_id,
            area_slug=service.subject_area.slug,
            minutes=service.typical_duration,
            bookable=service.bookable,
            queue_id=queue_id,
            share=AREA_SHARE.get(service.subject_area.slug, 0.0)
            / area_total
            * SERVICE_WEIGHT.get(service.slug, 1.0)
            / weights[service.subject_area.slug],
        )
        for service, queue_id in drawable
    ]


def _staff(location: Location, slug: str) -> list[StaffInfo]:
    users = get_user_model().objects.filter(username__in=HISTORY_ROSTER.get(slug, []))
    counter = location.counters.filter(active=True).order_by("number").first()
    if counter is None:
        return []
    roster = []
    for user in users.select_related("staff_profile").order_by("username"):
        queues = services.default_queues(user, counter)
        team = services.default_team(user)
        if queues:
            roster.append(
                StaffInfo(
                    user_id=user.pk,
                    team_id=team.pk if team else None,
                    queue_ids=tuple(sorted(queue.pk for queue in queues)),
                )
            )
    return roster
