"""Who comes on one day: the citizens arriving at a centre, when, for what and how (kiosk, phone,
floor guide, appointment), drawn from the shape in profile.py.

Times are whole seconds from the day's first opening instant (the day's clock in simulate.py).
Numbers are drawn only while the engine would issue them: inside the opening hours and before
each queue's cut-off (issuing.check_can_issue), and no more than a queue's daily quota.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import math
import random
from dataclasses import dataclass

from skranke.core.demo_history import profile
from skranke.core.demo_history.context import CentreContext, ServiceInfo
from skranke.organisation.hours import public_holiday
from skranke.queue.models import Source

APPOINTMENT_SLOT_MINUTES = 15
# Appointments are booked until this long before closing.
LAST_APPOINTMENT_MINUTES = 30


@dataclass(frozen=True)
class Window:
    """One opening interval on the day's clock, with the local clock minute it opens at."""

    start: int
    end: int
    local_minute: int


@dataclass(frozen=True, slots=True)
class Arrival:
    at: int
    service: ServiceInfo
    source: str
    appointment: bool
    waiting_since: int
    staff_id: int | None
    # The booked time of an appointment.
    booked: int | None = None


@functools.lru_cache(maxsize=64)
def day_factor(context: CentreContext, day: dt.date) -> float:
    """Return the centre's volume factor on ``day`` apart from the season: weekday, growth and
    the catching up after a weekday holiday."""
    factor = context.shape.weekday.get(day.weekday(), 0.0) * profile.trend(day)
    yesterday = day - dt.timedelta(days=1)
    if yesterday.weekday() < 5 and public_holiday(yesterday):
        factor *= profile.AFTER_HOLIDAY
    return factor


def expected_visits(
    context: CentreContext, service: ServiceInfo, day: dt.date, *, planned: bool = False
) -> float:
    """Return the visits to expect for ``service`` on ``day``; ``planned`` gives what a planner
    staffs for (the season taken only partly into account)."""
    month = profile.month_factor(service.area_slug, day.month)
    if planned:
        month = profile.planned_month_factor(month)
    return (
        context.shape.reference_day
        * service.share
        * day_factor(context, day)
        * month
        * profile.election_factor(service.area_slug, day)
    )


class ArrivalCurve:
    """The day's arrival intensity per minute, and drawing times from it before a cut-off."""

    def __init__(self, context: CentreContext, windows: list[Window]) -> None:
        self.minutes: list[int] = []
        weights: list[float] = []
        lowest = min(context.shape.hour.values())
        for index, window in enumerate(windows):
            for minute in range((window.end - window.start) // 60):
                clock_hour = ((window.local_minute + minute) // 60) % 24
                weight = context.shape.hour.get(clock_hour, lowest)
                if index == 0 and minute < profile.OPENING_RUSH_MINUTES:
                    weight *= profile.OPENING_RUSH
                self.minutes.append(window.start + minute * 60)
                weights.append(weight)
        self.cumulative = list(itertools.accumulate(weights))
        self.windows = windows
        self._last_by_cutoff: dict[int, int] = {}

    def weight_between(self, start: int, end: int) -> float:
        """Return the share of the day's arrivals between the clock times ``start`` and ``end``."""
        if not self.cumulative:
            return 0.0
        low = bisect.bisect_left(self.minutes, start)
        high = bisect.bisect_left(self.minutes, end)
        below = self.cumulative[low - 1] if low else 0.0
        upto = self.cumulative[high - 1] if high else 0.0
        return (upto - below) / self.cumulative[-1]

    def draw(self, rng: random.Random, cutoff_minutes: int) -> int | None:
        """Return a time a number can still be drawn, by the curve, or None if there is none."""
        last = self.last_index(cutoff_minutes)
        if last < 0:
            return None
        # On a day of several intervals each has its own cut-off: draw again inside one.
        for _attempt in range(20):
            pick = rng.random() * self.cumulative[last]
            minute = self.minutes[min(bisect.bisect_right(self.cumulative, pick), last)]
            window = next(w for w in self.windows if w.start <= minute < w.end)
            if minute + 60 <= window.end - cutoff_minutes * 60:
                return minute + rng.randrange(60)
        return None

    def last_index(self, cutoff_minutes: int) -> int:
        """Return the index of the day's last minute that ends before the cut-off of its window
        (-1 if none): numbers are drawn up to there."""
        if cutoff_minutes not in self._last_by_cutoff:
            last = -1
            for index, minute in enumerate(self.minutes):
                window = next(w for w in self.windows if w.start <= minute < w.end)
                if minute + 60 <= window.end - cutoff_minutes * 60:
                    last = index
            self._last_by_cutoff[cutoff_minutes] = last
        return self._last_by_cutoff[cutoff_minutes]


def draw_arrivals(
    context: CentreContext, day: dt.date, windows: list[Window], rng: random.Random
) -> list[Arrival]:
    """Return the day's arrivals in the order their numbers are drawn, within the quotas."""
    curve = ArrivalCurve(context, windows)
    volume = rng.lognormvariate(0.0, profile.DAY_NOISE)
    arrivals: list[Arrival] = []
    for service in context.services:
        queue = context.queues[service.queue_id]
        if curve.last_index(queue.cutoff_minutes) < 0:
            continue
        count = poisson(rng, expected_visits(context, service, day) * volume)
        for _visit in range(count):
            arrival = _arrival(context, service, curve, windows, rng)
            if arrival is not None:
                arrivals.append(arrival)
    arrivals.sort(key=lambda arrival: arrival.at)
    return _within_quota(context, arrivals)


def _arrival(
    context: CentreContext,
    service: ServiceInfo,
    curve: ArrivalCurve,
    windows: list[Window],
    rng: random.Random,
) -> Arrival | None:
    shape = context.shape
    cutoff = context.queues[service.queue_id].cutoff_minutes
    if service.bookable and rng.random() < shape.appointment_share:
        booked = appointment_time(windows, rng)
        if booked is not None:
            # Most check in a little early, some a little late; never after the cut-off.
            early = rng.random() < 0.8
            check_in = booked - rng.randrange(600) if early else booked + rng.randrange(300)
            window = next(w for w in windows if w.start <= booked < w.end)
            check_in = max(window.start, min(check_in, window.end - cutoff * 60 - 60))
            return Arrival(
                check_in, service, Source.APPOINTMENT, True, max(check_in, booked), None, booked
            )
    at = curve.draw(rng, cutoff)
    if at is None:
        return None
    draw = rng.random()
    source, staff_id = Source.KIOSK.value, None
    if context.floor_guide_id is not None and draw < shape.floor_guide_share:
        source, staff_id = Source.FLOOR_GUIDE.value, context.floor_guide_id
    elif draw < shape.floor_guide_share + shape.mobile_share:
        source = Source.MOBILE.value
    return Arrival(at, service, source, False, at, staff_id)


def appointment_time(windows: list[Window], rng: random.Random) -> int | None:
    """Return a bookable time of the day on the clock, or None when the day has none."""
    slots = [
        start
        for window in windows
        for start in range(
            window.start,
            window.end - LAST_APPOINTMENT_MINUTES * 60,
            APPOINTMENT_SLOT_MINUTES * 60,
        )
    ]
    return rng.choice(slots) if slots else None


def _within_quota(context: CentreContext, arrivals: list[Arrival]) -> list[Arrival]:
    """Drop the arrivals after a queue's quota is used up: the kiosk refuses them."""
    issued: dict[int, int] = {}
    kept = []
    for arrival in arrivals:
        queue = context.queues[arrival.service.queue_id]
        count = issued.get(queue.id, 0)
        if queue.daily_quota is not None and count >= queue.daily_quota:
            continue
        issued[queue.id] = count + 1
        kept.append(arrival)
    return kept


def poisson(rng: random.Random, mean: float) -> int:
    """Return a Poisson-distributed count with ``mean`` (by inversion; normal for large means)."""
    if mean <= 0:
        return 0
    if mean > 60:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    threshold = math.exp(-mean)
    count, product = 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count
