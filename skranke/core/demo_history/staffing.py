"""The day's rota at a centre: which employees open a counter, from when, until when.

A team lead plans counters per half hour from the visits expected on such a day (weekday,
growth, and the season only partly, see profile.PLANNING_SEASON_RESPONSE) for a target
utilisation, at least one per front queue while the centre is open, never more than it has
counters. Each planned counter becomes one employee's session, from among those not away that
day; an employee opens at most one counter a day. The session's queues and team are the
engine's defaults for the employee (context.py).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from skranke.core.demo_history import profile
from skranke.core.demo_history.context import CentreContext, StaffInfo
from skranke.core.demo_history.demand import ArrivalCurve, Window, expected_visits


@dataclass(frozen=True)
class PlannedSession:
    staff: StaffInfo
    opens: int
    planned_end: int
    # A session planned to the closing time goes on calling until the line is empty.
    until_empty: bool
    # The queues served: the engine's default for the employee, unless the team lead chose.
    queue_ids: tuple[int, ...] = ()

    @property
    def serves(self) -> tuple[int, ...]:
        return self.queue_ids or self.staff.queue_ids


def plan_sessions(
    context: CentreContext,
    day: dt.date,
    windows: list[Window],
    curve: ArrivalCurve,
    rng: random.Random,
) -> tuple[list[PlannedSession], list[StaffInfo]]:
    """Return the counter sessions planned at ``context``'s centre on ``day``, and the employees
    in that day but at no counter (the team lead's reserve when a line grows too long)."""
    slot = profile.SLOT_MINUTES * 60
    slots = [
        (start, min(start + slot, window.end))
        for window in windows
        for start in range(window.start, window.end, slot)
    ]
    if not slots:
        return [], []
    front = sorted(
        (queue for queue in context.queues.values() if not queue.is_back_office),
        key=lambda queue: queue.prefix,
    )
    needs = {queue.id: _needed(context, day, queue.id, slots, curve) for queue in front}
    away = profile.absence_share(day)
    available = [person for person in context.staff if rng.random() >= away]
    rng.shuffle(available)
    capacity = [len(context.counter_ids)] * len(slots)
    closing_slots = {
        index for index, (_start, end) in enumerate(slots) if end in {w.end for w in windows}
    }
    planned: list[PlannedSession] = []
    depth = max((max(need) for need in needs.values()), default=0)
    # The first counter of every queue before anyone's second, and so on.
    for level in range(1, depth + 1):
        for queue in front:
            wanted = [index for index, need in enumerate(needs[queue.id]) if need >= level]
            person = choose(available, queue.id)
            if person is None and level == 1:
                # Nobody who serves this queue is in: one of them is called in from leave.
                planned_staff = {session.staff.user_id for session in planned}
                person = choose(
                    [p for p in context.staff if p.user_id not in planned_staff], queue.id
                )
                if person is not None:
                    available.append(person)
            if not wanted or person is None:
                continue
            run = _longest_run([index for index in wanted if capacity[index] > 0])
            if not run:
                continue
            available.remove(person)
            for index in run:
                capacity[index] -= 1
            first, last = run[0], run[-1]
            # Staff sign in a few minutes before their first half hour, earlier at opening.
            early = rng.randrange(60, 480) if first == 0 else rng.randrange(0, 180)
            planned.append(
                PlannedSession(
                    staff=person,
                    opens=slots[first][0] - early,
                    planned_end=slots[last][1],
                    until_empty=last in closing_slots,
                )
            )
    return sorted(planned, key=lambda session: session.opens), available


def _needed(
    context: CentreContext,
    day: dt.date,
    queue_id: int,
    slots: list[tuple[int, int]],
    curve: ArrivalCurve,
) -> list[int]:
    """Return the counters ``queue_id`` needs in each slot for the planned utilisation."""
    work_minutes = sum(
        expected_visits(context, service, day, planned=True) * service.minutes
        for service in context.services
        if service.queue_id == queue_id
    )
    needs = []
    for start, end in slots:
        load = work_minutes * curve.weight_between(start, end)
        capacity = (end - start) / 60 * profile.PLANNED_UTILISATION
        needs.append(max(1, math.ceil(load / capacity)) if capacity else 0)
    return needs


def choose(available: list[StaffInfo], queue_id: int) -> StaffInfo | None:
    """Return the first available employee who serves ``queue_id``, specialists first."""
    serving = [person for person in available if queue_id in person.queue_ids]
    return min(serving, key=lambda person: len(person.queue_ids), default=None)


def _longest_run(indexes: list[int]) -> list[int]:
    best: list[int] = []
    current: list[int] = []
    for index in indexes:
        current = [*current, index] if current and index == current[-1] + 1 else [index]
        if len(current) > len(best):
            best = current
    return best
