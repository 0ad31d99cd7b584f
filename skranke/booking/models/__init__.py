"""The booking app's models: the calendar's set-up (calendar.py) and what is booked in it
(appointments.py)."""

from skranke.booking.models.appointments import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Appointment,
    AppointmentStatus,
    BookingGuard,
    BookingSource,
    CalendarTick,
    CancelReason,
    Hold,
    secret_digest,
)
from skranke.booking.models.calendar import (
    MAX_PEOPLE,
    TICK_MINUTES,
    BookingCalendar,
    BookingSetup,
    CapacityChange,
    LateArrival,
    WeeklyCapacity,
    in_front_queue,
    validate_time_range,
    validate_whole_ticks,
)

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "MAX_PEOPLE",
    "TICK_MINUTES",
    "Appointment",
    "AppointmentStatus",
    "BookingCalendar",
    "BookingGuard",
    "BookingSetup",
    "BookingSource",
    "CalendarTick",
    "CancelReason",
    "CapacityChange",
    "Hold",
    "LateArrival",
    "WeeklyCapacity",
    "in_front_queue",
    "secret_digest",
    "validate_time_range",
    "validate_whole_ticks",
]
