"""Settings of the background work: the worker's jobs, e-mail and SMS, and appointments.

Part of skranke.settings (which star-imports it); read from the environment the same way. The
SMS file's default lies in the data folder, so that one setting stays in skranke.settings.
"""

from __future__ import annotations

from skranke.lib.env import BadSetting, env_choice, env_int, env_str

# Background jobs and messages -----------------------------------------------------------------
# The worker (`skranke worker`, or a thread of `skranke serve --with-worker`) looks for due jobs
# at least this often; a job enqueued in the worker's own process wakes it at once.
SKRANKE_WORKER_POLL_SECONDS = env_int("SKRANKE_WORKER_POLL_SECONDS", 5, minimum=1, maximum=300)
# A job still 'running' this long after it was claimed belonged to a worker that died, and is
# queued again; keep it well above the slowest job (an SMS gateway call times out in seconds).
SKRANKE_JOB_VISIBILITY_TIMEOUT = env_int(
    "SKRANKE_JOB_VISIBILITY_TIMEOUT", 600, minimum=30, maximum=86400
)
SKRANKE_JOB_MAX_ATTEMPTS = env_int("SKRANKE_JOB_MAX_ATTEMPTS", 8, minimum=1, maximum=50)
# The first retry waits this long, each further one twice as long, at most an hour.
SKRANKE_JOB_RETRY_SECONDS = env_int("SKRANKE_JOB_RETRY_SECONDS", 30, minimum=1, maximum=3600)
# Finished (done or failed) jobs are deleted this long after they finished.
SKRANKE_JOB_RETENTION_DAYS = env_int("SKRANKE_JOB_RETENTION_DAYS", 30, minimum=1, maximum=3650)
# Recipients, subjects and texts of messages are blanked this long after the message was made.
SKRANKE_MESSAGE_RETENTION_DAYS = env_int(
    "SKRANKE_MESSAGE_RETENTION_DAYS", 30, minimum=1, maximum=3650
)

_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}
EMAIL_BACKEND = _EMAIL_BACKENDS[
    env_choice("SKRANKE_EMAIL_BACKEND", "console", tuple(_EMAIL_BACKENDS))
]
DEFAULT_FROM_EMAIL = env_str("SKRANKE_EMAIL_FROM", "Borgerservice <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if "@" not in DEFAULT_FROM_EMAIL:
    raise BadSetting(f"SKRANKE_EMAIL_FROM={DEFAULT_FROM_EMAIL!r} holds no e-mail address")
_SMTP_SECURITY = env_choice("SKRANKE_SMTP_SECURITY", "starttls", ("starttls", "ssl", "none"))
EMAIL_USE_TLS = _SMTP_SECURITY == "starttls"
EMAIL_USE_SSL = _SMTP_SECURITY == "ssl"
EMAIL_HOST = env_str("SKRANKE_SMTP_HOST", "localhost")
EMAIL_PORT = env_int(
    "SKRANKE_SMTP_PORT",
    {"starttls": 587, "ssl": 465, "none": 25}[_SMTP_SECURITY],
    minimum=1,
    maximum=65535,
)
EMAIL_HOST_USER = env_str("SKRANKE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("SKRANKE_SMTP_PASSWORD", "")
EMAIL_TIMEOUT = env_int("SKRANKE_SMTP_TIMEOUT", 10, minimum=1, maximum=300)

SKRANKE_SMS_BACKEND = env_choice("SKRANKE_SMS_BACKEND", "console", ("console", "file", "http"))
# Empty: the gateway's default sender for the account.
SKRANKE_SMS_SENDER = env_str("SKRANKE_SMS_SENDER", "")
SKRANKE_SMS_HTTP_URL = env_str("SKRANKE_SMS_HTTP_URL", "")
if SKRANKE_SMS_BACKEND == "http" and not SKRANKE_SMS_HTTP_URL.startswith(("https://", "http://")):
    raise BadSetting("SKRANKE_SMS_BACKEND=http needs SKRANKE_SMS_HTTP_URL=https://…")
# One header such as "Authorization: Bearer abc123" that the gateway checks.
SKRANKE_SMS_HTTP_AUTH_HEADER = env_str("SKRANKE_SMS_HTTP_AUTH_HEADER", "")
_auth_name, _colon, _auth_value = SKRANKE_SMS_HTTP_AUTH_HEADER.partition(":")
if SKRANKE_SMS_HTTP_AUTH_HEADER and not (_auth_name.strip() and _colon and _auth_value.strip()):
    raise BadSetting("SKRANKE_SMS_HTTP_AUTH_HEADER must look like 'Name: value'")
SKRANKE_SMS_HTTP_BODY = env_choice("SKRANKE_SMS_HTTP_BODY", "json", ("json", "form"))
SKRANKE_SMS_HTTP_RECIPIENT_FIELD = env_str("SKRANKE_SMS_HTTP_RECIPIENT_FIELD", "to")
SKRANKE_SMS_HTTP_TEXT_FIELD = env_str("SKRANKE_SMS_HTTP_TEXT_FIELD", "text")
SKRANKE_SMS_HTTP_SENDER_FIELD = env_str("SKRANKE_SMS_HTTP_SENDER_FIELD", "from")
SKRANKE_SMS_HTTP_TIMEOUT = env_int("SKRANKE_SMS_HTTP_TIMEOUT", 10, minimum=1, maximum=120)
# A citizen who asked for it on their mobile ticket gets one SMS when this many or fewer people
# are ahead of them (skranke.queue.services.notices).
SKRANKE_SMS_NOTICE_PLACES_AHEAD = env_int(
    "SKRANKE_SMS_NOTICE_PLACES_AHEAD", 3, minimum=1, maximum=50
)

# Appointments -----------------------------------------------------------------------------------
# A citizen keeps a slot this long while filling in the booking form (skranke.booking).
SKRANKE_BOOKING_HOLD_MINUTES = env_int("SKRANKE_BOOKING_HOLD_MINUTES", 10, minimum=1, maximum=60)
# Name, phone number and e-mail address of an appointment (and the messages about it) are erased
# this many days after its start.
SKRANKE_BOOKING_RETENTION_DAYS = env_int(
    "SKRANKE_BOOKING_RETENTION_DAYS", 30, minimum=1, maximum=3650
)
# Holds, bookings, moves and cancellations by citizens, per device or client address, on top of
# SKRANKE_RATE_LIMIT_ANONYMOUS; checked at start-up by skranke.booking (like the anonymous rate).
SKRANKE_RATE_LIMIT_BOOKING = env_str("SKRANKE_RATE_LIMIT_BOOKING", "20/hour")
# The site's own address for links in messages (https://borgerservice.example.dk); empty: the
# address of the request that made the booking.
SKRANKE_SITE_URL = env_str("SKRANKE_SITE_URL", "").rstrip("/")
if SKRANKE_SITE_URL and not SKRANKE_SITE_URL.startswith(("https://", "http://")):
    raise BadSetting(f"SKRANKE_SITE_URL={SKRANKE_SITE_URL!r} must start with https://")
