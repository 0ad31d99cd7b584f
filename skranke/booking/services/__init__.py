"""The booking engine: every page, API operation and command that books calls these.

Free times (they only read; skranke.booking.slots):

- ``free_slots(location, service, first_day, last_day=None, *, people=1, now=None)`` → list of
  ``Slot(start, end, remaining)`` on the local dates asked for.
- ``first_free_slot(location, service, *, people=1, now=None)`` → the earliest ``Slot`` or None
  ("første ledige tid").
- ``next_free_slots(location, service, after, *, people=1, now=None, limit=3)`` → the next free
  slots from an instant on (refusals carry these as ``next_free``).
- ``booking_setup(location, service)`` → the service's ``BookingSetup`` at the centre (slot
  length, most people, horizon, notice), or NotBookable.

The citizen's contact details (skranke.booking.services.contact):

- ``clean_contact(name, phone="", email="", language=None)`` → ``ContactDetails`` in stored
  form, or BadBookingInput naming the ``field``; the CPR guard, the Danish phone number and the
  e-mail address are checked here, once, for pages and the API alike.

Holding, booking, moving, cancelling (each one transaction; skranke.booking.services.holds and
.bookings):

- ``hold_slot(location, service, start, *, people=1, client, now=None)`` → ``HeldSlot(hold,
  token)``: keeps the slot for SKRANKE_BOOKING_HOLD_MINUTES. ``client`` is
  skranke.access.ratelimit.requester_key(request), which holds at most HOLDS_PER_CLIENT slots at
  once; None for staff. ``find_hold(token)`` → the ``Hold`` (live or lapsed) or None.
- ``book(location, service, start, contact, *, people=1, staff=None, send_confirmation=True,
  site_url="", now=None)`` → ``Booked(appointment, secret)``.
- ``book_held(token, contact, *, staff=None, send_confirmation=True, site_url="", now=None)`` →
  ``Booked``: books the held slot.
- ``move_appointment(appointment, start, *, people=None, staff=None, secret=None,
  send_confirmation=True, site_url="", now=None)`` → ``Booked``: same code; staff get a new
  secret for the message's link.
- ``cancel_appointment(appointment, *, staff=None, send_confirmation=True, now=None)`` →
  the cancelled ``Appointment``; its places are free at once.

``staff`` is the employee acting on a citizen's behalf (on the phone): they need
``manage_bookings`` at the centre (PermissionDenied otherwise), the booking's source is "phone",
the per-contact limit does not apply to them, and the audit log records what they did. Without
``staff`` the citizen acts, online, limited to FUTURE_BOOKINGS_PER_CONTACT future bookings per
phone number and per e-mail address for a service.

Finding an appointment (who may act on it is decided here, for pages and API alike):

- ``appointment_by_secret(code, secret)`` → the ``Appointment`` for the holder of its link;
  BookingNotFound alike for an unknown code and a wrong secret.
- ``appointment_for_staff(code, user)`` → the ``Appointment`` for an employee with
  ``manage_bookings`` at its centre; BookingNotFound or PermissionDenied.
- ``normalise_code(text)`` → the stored form of a typed reference code, or None.

Arrival at the kiosk (skranke.booking.services.checkin):

- ``check_in(location, code_text, *, now=None)`` → ``CheckedIn(appointment, ticket, already)``:
  the booking becomes a priority ticket in the service's queue (the number system's issuing
  path, source "appointment", waiting from the later of check-in and the booked time), within
  the centre's check-in window. Checking in again gives the same ticket (``already``). Not
  refused by the walk-in rules (hours, cut-off, queue closed for the day, quota). Refusals are
  ``CheckInRefused``: not_found, other_centre (``centre``), cancelled, not_today, too_early
  (``come_back_at``), too_late (``walk_in_service``), checked_in, inactive, no_queue.
- ``CHECK_IN_SCOPE`` and ``CHECK_IN_RATE``: the rate limit kiosk pages and API share, per
  kiosk or client address, so codes cannot be guessed.

Unplanned closures (skranke.booking.services.closures; the admin pages that edit opening hours
list the bookings hit before saving and cancel them on saving, skranke.booking.closure_admin):

- ``bookings_hit(location, *, now=None)`` → the future bookings (still booked, starting after
  now) that no longer lie within one attendance opening interval of their local day, as the
  hours in the database say now (weekly hours, dated exceptions, holidays, the optional days).
- ``cancel_for_closure(appointments, *, staff, now=None, site_url="")`` → those cancelled: each
  still booked at the time read is cancelled (reason "closure", by ``staff``), its places given
  back, its citizen sent the closure notice with a link to choose a new time, and the audit log
  written; in the caller's transaction.
- ``lock_centre(location_id)`` / ``lock_centres(location_ids)`` (skranke.booking.services
  .centre_lock): the centre's lock, which a change of hours takes before it saves and every
  booking write takes first, then checking its time against the hours again, so a booking made
  at the moment a closure is saved is either cancelled by it or refused.

Links (the secret is only ever in a path, and masked in logs):

- ``manage_url(appointment, secret)`` → ``/booking/manage/<code>/<secret>/``, the citizen's page.
- ``calendar_url(appointment, secret)`` → ``/booking/manage/<code>/<secret>/calendar.ics``.
- ``absolute(path, site_url="")`` → the link on the site (SKRANKE_SITE_URL when not given).
- The calendar file itself: skranke.booking.calendar_file.appointment_ics(appointment).

Background work (skranke.booking.jobs runs them):

- ``send_due_reminders(now=None)`` → how many appointments were reminded: each booking still
  booked gets one reminder the centre's ``reminder_hours`` before its start (not when booked or
  moved later than that), claimed by a conditional update, so two sweeps never send it twice.
- ``record_no_shows(now=None)`` → how many bookings nobody checked in for became no-shows once
  their check-in window closed (the start plus ``checkin_late_minutes``).
- ``release_expired_holds(now=None)``: gives lapsed holds' places back (the reads count them as
  free before that already).
- ``erase_personal_data(now=None)``: blanks name, phone and e-mail SKRANKE_BOOKING_RETENTION_DAYS
  after the start and purges the messages.
- ``delete_old_rows(now=None)``: past tick and guard rows.

Refusals are the exceptions of skranke.booking.errors, each with a stable ``code``, a
``message`` for people, the ``field`` it is about (input) and ``next_free`` (times).
"""

from skranke.booking.services.bookings import (
    Booked,
    appointment_by_secret,
    appointment_for_staff,
    book,
    book_held,
    cancel_appointment,
    move_appointment,
    normalise_code,
    why_not_changeable,
)
from skranke.booking.services.checkin import (
    CHECK_IN_RATE,
    CHECK_IN_SCOPE,
    CheckedIn,
    CheckInRefused,
    check_in,
)
from skranke.booking.services.closures import bookings_hit, cancel_for_closure
from skranke.booking.services.contact import ContactDetails, clean_contact
from skranke.booking.services.holds import (
    HeldSlot,
    find_hold,
    hold_slot,
    release_expired_holds,
)
from skranke.booking.services.limits import FUTURE_BOOKINGS_PER_CONTACT, HOLDS_PER_CLIENT
from skranke.booking.services.no_shows import record_no_shows
from skranke.booking.services.notify import absolute, calendar_url, manage_url
from skranke.booking.services.reminders import send_due_reminders
from skranke.booking.services.retention import delete_old_rows, erase_personal_data
from skranke.booking.slots import (
    Slot,
    booking_setup,
    first_free_slot,
    free_slots,
    next_free_slots,
)

__all__ = [
    "CHECK_IN_RATE",
    "CHECK_IN_SCOPE",
    "FUTURE_BOOKINGS_PER_CONTACT",
    "HOLDS_PER_CLIENT",
    "Booked",
    "CheckInRefused",
    "CheckedIn",
    "ContactDetails",
    "HeldSlot",
    "Slot",
    "absolute",
    "appointment_by_secret",
    "appointment_for_staff",
    "book",
    "book_held",
    "booking_setup",
    "bookings_hit",
    "calendar_url",
    "cancel_appointment",
    "cancel_for_closure",
    "check_in",
    "clean_contact",
    "delete_old_rows",
    "erase_personal_data",
    "find_hold",
    "first_free_slot",
    "free_slots",
    "hold_slot",
    "manage_url",
    "move_appointment",
    "next_free_slots",
    "normalise_code",
    "record_no_shows",
    "release_expired_holds",
    "send_due_reminders",
    "why_not_changeable",
]
