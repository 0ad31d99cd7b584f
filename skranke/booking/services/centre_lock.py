"""The centre's lock: the one row that a booking and a change of the centre's opening hours both
lock in their transaction, so the database puts them one after the other.

Without it the two could cross: a booking checks its time against the hours before its
transaction, an administrator's change saves new hours and, in its transaction, reads and cancels
the bookings they leave outside (skranke.booking.closure_admin); under READ COMMITTED a booking
that read the old hours could commit after that read and land in closed hours, its citizen never
told. With the lock, the change of hours takes it before it saves anything and keeps it until it
commits; each booking write (book, book_held, move_appointment) takes it first in its transaction
and then checks its time against the hours again (skranke.booking.slots.check_open). So a booking
either commits before the change reads the bookings, which then sees it and cancels it with the
closure notice, or waits for the change to commit and then reads the new hours (each statement
under READ COMMITTED reads what is committed when it starts) and is refused.

The row is the centre's ``Location``: every centre has one, whether or not its booking calendar
exists yet. The lock is ``FOR NO KEY UPDATE``, which does not conflict with the ``FOR KEY SHARE``
that PostgreSQL takes on a location whenever a row pointing to it is written (tickets, holds,
ticks, appointments …), so only the writers of bookings and hours wait for it. It is always the
first lock a booking write takes (before the limits' guard rows and the calendar's ticks), and a
change of hours takes the locks of its centres in ascending order before anything else, so no
two transactions wait for each other in a circle.

The cost: the bookings, moves and held bookings at one centre wait for each other on this row,
for the few milliseconds each transaction lasts; other centres are not affected. On SQLite there
is nothing to lock (``select_for_update`` does nothing): the IMMEDIATE transaction already holds
the database's write lock from its start, which serialises the same writers.
"""

from __future__ import annotations

from collections.abc import Iterable

from skranke.organisation.models import Location


def lock_centre(location_id: int) -> Location:
    """Lock the centre ``location_id`` until the transaction ends and return it as stored now
    (its own fields, such as "always open", may have changed since the caller read it).

    Call it first inside the booking write's transaction (on PostgreSQL, outside one it raises
    TransactionManagementError)."""
    return Location.objects.select_for_update(no_key=True).get(pk=location_id)


def lock_centres(location_ids: Iterable[int]) -> None:
    """Lock the centres ``location_ids`` (those that exist), in ascending order, until the
    transaction ends. Call it inside a change of opening hours before anything is saved."""
    locked = Location.objects.select_for_update(no_key=True).filter(pk__in=set(location_ids))
    list(locked.order_by("pk").values_list("pk", flat=True))
