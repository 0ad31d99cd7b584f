"""Django settings for Skranke, read from SKRANKE_* environment variables.

Every variable and its default is listed in the README. A value that cannot be understood stops
start-up with a one-line message naming the variable (see skranke.lib.env).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from skranke.lib.env import (
    BadSetting,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    env_time_zone,
)
from skranke.lib.logmask import with_masked_handlers

PACKAGE_DIR = Path(__file__).resolve().parent

# Everything the installation writes (SQLite database, generated secret key, collected static
# files) lives under one data folder, ./var by default.
DATA_DIR = Path(env_str("SKRANKE_DATA_DIR", str(Path.cwd() / "var"))).resolve()


def _make_folder(folder: Path, variables: str) -> None:
    """Create ``folder`` if needed; raises BadSetting naming ``variables`` when it cannot."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadSetting(
            f"{variables}: cannot create the folder {str(folder)!r} ({error.strerror})"
        ) from None


DEBUG = env_bool("SKRANKE_DEBUG", False)
HTTPS = env_bool("SKRANKE_HTTPS", False)
ALLOWED_HOSTS = env_list("SKRANKE_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("SKRANKE_CSRF_TRUSTED_ORIGINS", [])


def _secret_key() -> str:
    """Return SKRANKE_SECRET_KEY, or a key generated once and kept in the data folder."""
    configured = env_str("SKRANKE_SECRET_KEY", "")
    if configured:
        if len(configured) < 32:
            raise BadSetting("SKRANKE_SECRET_KEY is shorter than 32 characters")
        return configured
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    _make_folder(DATA_DIR, "SKRANKE_DATA_DIR")
    key = secrets.token_urlsafe(50)
    try:
        key_file.write_text(key)
        key_file.chmod(0o600)
    except OSError as error:
        raise BadSetting(
            f"SKRANKE_DATA_DIR: cannot write {str(key_file)!r} ({error.strerror}); "
            "make the folder writable or set SKRANKE_SECRET_KEY"
        ) from None
    return key


SECRET_KEY = _secret_key()

INSTALLED_APPS = [
    "skranke.core.admin_config.SkrankeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "ninja",
    "axes",
    "auditlog",
    "skranke.core",
    "skranke.organisation",
    "skranke.catalogue",
    "skranke.access",
    "skranke.jobs",
    "skranke.messaging",
    "skranke.audit",
    "skranke.queue",
    "skranke.reports",
    "skranke.history",
    "skranke.booking",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise, async-capable: every middleware here is, so the chain stays async under ASGI.
    "skranke.core.middleware.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "skranke.core.middleware.LanguageMiddleware",
    # Before anything reads the path, the body or the database: control characters in the
    # address, bodies to the API that are not JSON, and anonymous writes from other web sites
    # are refused here (its refusal page is in the language just chosen).
    "skranke.core.hardening.RequestGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "skranke.access.middleware.DeviceMiddleware",
    "skranke.audit.middleware.audit_middleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees the sign-in failures of every view and answers with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "skranke.urls"
ASGI_APPLICATION = "skranke.asgi.application"
WSGI_APPLICATION = "skranke.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "skranke.core.context_processors.installation",
            ],
        },
    },
]


# Databases --------------------------------------------------------------------------------
def _database(url: str, variable: str) -> dict[str, Any]:
    """Return Django's database settings for a sqlite:// or postgres:// URL.

    SQLite gets WAL, a busy timeout and IMMEDIATE transactions so writers queue instead of
    failing; PostgreSQL gets psycopg's connection pool (DESIGN.md, Databases).
    """
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url))
    except (ValueError, KeyError) as error:
        raise BadSetting(f"{variable}={url!r} is not a database URL ({error})") from None
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        _make_folder(Path(config["NAME"]).parent, "SKRANKE_DATA_DIR or SKRANKE_DATABASE_URL")
        config["OPTIONS"] = {
            "timeout": env_int("SKRANKE_SQLITE_TIMEOUT", 20, minimum=1),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # Tests need a file database (a second process, the real server, reads it too).
        config["TEST"] = {"NAME": str(Path(config["NAME"]).with_name("test-skranke.sqlite3"))}
    elif engine == "django.db.backends.postgresql":
        # The pool replaces persistent connections; CONN_MAX_AGE must stay 0 with it.
        config["CONN_MAX_AGE"] = 0
        # Every connection the pool hands out is checked first (Django 5.2 then gives the pool
        # psycopg_pool's ConnectionPool.check_connection; a "check" among the pool options below
        # would clash with it), so one left dead by a database restart is replaced instead of
        # failing a request.
        config["CONN_HEALTH_CHECKS"] = True
        pool_min = env_int("SKRANKE_DB_POOL_MIN", 2, minimum=0)
        config["OPTIONS"] = {
            "pool": {
                "min_size": pool_min,
                # psycopg refuses a pool smaller than its minimum, but only at first connection.
                "max_size": env_int(
                    "SKRANKE_DB_POOL_MAX", max(20, pool_min), minimum=max(1, pool_min)
                ),
                "timeout": env_int("SKRANKE_DB_POOL_TIMEOUT", 10, minimum=1),
            }
        }
    else:
        raise BadSetting(f"{variable} must be a sqlite:// or postgres:// URL, not {url!r}")
    return config


DATABASE_URL = env_str("SKRANKE_DATABASE_URL", f"sqlite:///{DATA_DIR / 'skranke.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL, "SKRANKE_DATABASE_URL")}
# Behind PgBouncer in transaction mode each transaction may run on another server connection, so
# nothing may outlive one: no server-side cursors (QuerySet.iterator() would lose its cursor) and
# no prepared statements. LISTEN does not work there either: see SKRANKE_STREAM_LISTEN_URL.
DATABASE_POOLER = env_choice("SKRANKE_DATABASE_POOLER", "none", ("none", "pgbouncer-transaction"))
if DATABASE_POOLER != "none":
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise BadSetting("SKRANKE_DATABASE_POOLER needs a postgres:// SKRANKE_DATABASE_URL")
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Authentication -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# django-axes first: it refuses a locked-out sign-in before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Recalls needed before a called citizen may be marked as not showing up.
SKRANKE_NO_SHOW_AFTER_RECALLS = env_int("SKRANKE_NO_SHOW_AFTER_RECALLS", 1, minimum=0, maximum=10)
# How long a device pairing link works after an administrator creates it.
SKRANKE_DEVICE_PAIRING_HOURS = env_int("SKRANKE_DEVICE_PAIRING_HOURS", 24, minimum=1, maximum=720)
# Paired kiosks, displays and counter tablets report a heartbeat this often; one not heard from
# for SKRANKE_DEVICE_SILENT_SECONDS is flagged on the live floor, and one silent for
# SKRANKE_DEVICE_OFFLINE_ALERT_MINUTES while its centre is open is e-mailed to the team leads
# (skranke.access.services). Three beats fit in the silent time, so one lost beat flags nothing.
SKRANKE_DEVICE_HEARTBEAT_SECONDS = env_int(
    "SKRANKE_DEVICE_HEARTBEAT_SECONDS", 20, minimum=5, maximum=600
)
SKRANKE_DEVICE_SILENT_SECONDS = env_int(
    "SKRANKE_DEVICE_SILENT_SECONDS", 60, minimum=60, maximum=3600
)
SKRANKE_DEVICE_OFFLINE_ALERT_MINUTES = env_int(
    "SKRANKE_DEVICE_OFFLINE_ALERT_MINUTES", 10, minimum=1, maximum=24 * 60
)
if SKRANKE_DEVICE_SILENT_SECONDS < 3 * SKRANKE_DEVICE_HEARTBEAT_SECONDS:
    raise BadSetting(
        f"SKRANKE_DEVICE_SILENT_SECONDS={SKRANKE_DEVICE_SILENT_SECONDS} must be at least three "
        f"times SKRANKE_DEVICE_HEARTBEAT_SECONDS={SKRANKE_DEVICE_HEARTBEAT_SECONDS}"
    )
# A device comes back (and its alert is cleared) only once it was silent, so no alert may go out
# about a device that is not silent yet.
if SKRANKE_DEVICE_OFFLINE_ALERT_MINUTES * 60 < SKRANKE_DEVICE_SILENT_SECONDS:
    raise BadSetting(
        f"SKRANKE_DEVICE_OFFLINE_ALERT_MINUTES={SKRANKE_DEVICE_OFFLINE_ALERT_MINUTES} must be at "
        f"least SKRANKE_DEVICE_SILENT_SECONDS={SKRANKE_DEVICE_SILENT_SECONDS} long"
    )
# Seconds without a touch before a kiosk goes back to its start screen (in Danish).
SKRANKE_KIOSK_IDLE_SECONDS = env_int("SKRANKE_KIOSK_IDLE_SECONDS", 45, minimum=1, maximum=3600)

# Languages and time -------------------------------------------------------------------------
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LANGUAGE_CODE = env_choice("SKRANKE_LANGUAGE", "da", tuple(code for code, _name in LANGUAGES))
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
# Times are stored in UTC and shown in the installation's zone; daylight saving is handled by
# zoneinfo wherever a local day or hour is turned into instants (skranke.lib.localtime).
USE_TZ = True
TIME_ZONE = env_time_zone("SKRANKE_TIME_ZONE", "Europe/Copenhagen")
LANGUAGE_COOKIE_NAME = "skranke_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security -----------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Behind HTTPS (SKRANKE_HTTPS=1) cookies are marked secure and browsers told to stay on HTTPS.
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SKRANKE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None

# A strict policy from the first page on: no inline scripts or styles anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Logging: one line per record on stderr, which uvicorn and systemd collect.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_LEVEL = env_str("SKRANKE_LOG_LEVEL", "INFO")
if LOG_LEVEL.upper() not in LOG_LEVELS:
    # logging.config would otherwise fail later with a traceback that names no variable.
    raise BadSetting(f"SKRANKE_LOG_LEVEL={LOG_LEVEL!r} is not one of: {', '.join(LOG_LEVELS)}")
# Every handler masks the secrets in links (pairing and ticket tokens) and CPR numbers first
# (skranke.lib.logmask); `skranke serve` gives uvicorn's handlers the same filter.
LOG_MASK_PATH_PREFIXES = "skranke.core.secret_paths.secret_path_prefixes"
LOGGING: dict[str, Any] = with_masked_handlers(
    {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"handlers": ["stderr"], "level": LOG_LEVEL.upper()},
        "loggers": {
            # Django's default handlers (the console with DEBUG, mail to ADMINS, runserver's
            # request lines) would write paths unmasked: its records go to the root's instead.
            "django": {"handlers": [], "propagate": True},
            "django.server": {"handlers": [], "propagate": True},
        },
    },
    LOG_MASK_PATH_PREFIXES,
)

# Audit, login lockout, sessions and rate limits ---------------------------------------------
# Staff changes are logged by django-auditlog (models registered in skranke.audit.registry);
# skranke.audit.middleware tells it who made the request. Fixtures loaded with loaddata are not
# staff actions, and a foreign key is logged by name ("Borgerservice Nord", not "3"), which
# still reads right after the centre is deleted.
AUDITLOG_DISABLE_ON_RAW_SAVE = True
AUDITLOG_USE_FK_STRING_REPRESENTATION = True


def _cache(url: str) -> dict[str, Any]:
    """Return the cache for SKRANKE_CACHE_URL: Redis for redis:// URLs, else a database table.

    The database cache is shared by every process and server on the same database (SQLite for
    the demo, PostgreSQL with several workers) and needs no service of its own; `skranke migrate`
    creates its table. The rate limits count in Redis when it is given; with the database cache
    they count in a table of their own instead (skranke.access.ratelimit: this cache's incr is
    not atomic). Redis is faster under heavy anonymous traffic.
    """
    if not url:
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "skranke_cache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise BadSetting(f"SKRANKE_CACHE_URL={url!r} must be a redis://, rediss:// or unix:// URL")


CACHES = {"default": _cache(env_str("SKRANKE_CACHE_URL", ""))}


def _trusted_proxies(name: str) -> list[str]:
    """Return the proxy addresses and networks in ``name``; raises BadSetting for a bad one."""
    entries = env_list(name, [])
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise BadSetting(
                f"{name}: {entry!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return entries


# Abuse limits on anonymous pages and API endpoints (skranke.access.ratelimit). The rate is
# checked at start-up by skranke.audit (settings cannot import the parser: see its docstring).
SKRANKE_RATE_LIMITS_ENABLED = env_bool("SKRANKE_RATE_LIMITS", True)
SKRANKE_RATE_LIMIT_ANONYMOUS = env_str("SKRANKE_RATE_LIMIT_ANONYMOUS", "60/min")
# X-Forwarded-For is believed only when it comes from one of these; uvicorn already reads it
# from a proxy on 127.0.0.1 (its FORWARDED_ALLOW_IPS), so list proxies on other machines here.
SKRANKE_TRUSTED_PROXIES = _trusted_proxies("SKRANKE_TRUSTED_PROXIES")

# Staff sign-in lockout (django-axes): after this many failures for one user name from one
# address, sign-in for that pair pauses; each attempt during the pause starts it again.
AXES_ENABLED = env_bool("SKRANKE_LOGIN_LOCKOUT", True)
AXES_FAILURE_LIMIT = env_int("SKRANKE_LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=100)
AXES_COOLOFF_TIME = dt.timedelta(
    minutes=env_int("SKRANKE_LOGIN_COOLOFF_MINUTES", 15, minimum=1, maximum=24 * 60)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "skranke.access.ratelimit.client_address"
AXES_LOCKOUT_CALLABLE = "skranke.audit.views.login_locked"
# axes announces its version at INFO whenever Django starts, every CLI command included.
LOGGING.setdefault("loggers", {})["axes.apps"] = {"level": "WARNING"}
# While the database is out of reach, requests are answered 503 and each process logs one line
# when the outage starts and one when it ends (skranke.core.outage): no traceback per request,
# and not psycopg's pool's line per reconnection attempt.
LOGGING.setdefault("filters", {})["database_outage"] = {
    "()": "skranke.core.outage.DatabaseOutageFilter"
}
LOGGING["loggers"]["django.request"] = {"filters": ["database_outage"]}
LOGGING["loggers"]["psycopg.pool"] = {"level": "ERROR"}

# Idle sessions expire: every request saves the session again, which moves its expiry on.
SESSION_IDLE_MINUTES = env_int("SKRANKE_SESSION_IDLE_MINUTES", 60, minimum=1, maximum=7 * 24 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True

# Background jobs, e-mail, SMS and appointments: skranke/settings_work.py.
from skranke.settings_work import *  # noqa: E402, F403

# Written by the file SMS backend; in the data folder unless set.
SKRANKE_SMS_FILE = Path(env_str("SKRANKE_SMS_FILE", str(DATA_DIR / "sms.jsonl"))).resolve()

# Live streams ---------------------------------------------------------------------------------
# Server-sent events for displays, kiosks, counters and phones (skranke.queue.live.streams, .hub).
# A quiet stream sends a comment this often, so proxies and browsers do not take it for dead.
SKRANKE_STREAM_HEARTBEAT_SECONDS = env_int(
    "SKRANKE_STREAM_HEARTBEAT_SECONDS", 15, minimum=1, maximum=300
)
# On SQLite the event hub looks for new events this often (PostgreSQL's NOTIFY needs no polling).
SKRANKE_STREAM_POLL_MILLISECONDS = env_int(
    "SKRANKE_STREAM_POLL_MILLISECONDS", 250, minimum=20, maximum=5000
)
# Events a client may fall behind before its stream is ended; its browser then reconnects and
# resumes, instead of one slow phone holding memory or the others up.
SKRANKE_STREAM_CLIENT_BUFFER = env_int(
    "SKRANKE_STREAM_CLIENT_BUFFER", 256, minimum=4, maximum=100_000
)
# The hub LISTENs on a connection of its own. When SKRANKE_DATABASE_URL goes through PgBouncer in
# transaction mode (where LISTEN does not work), point this straight at PostgreSQL.
SKRANKE_STREAM_LISTEN_URL = env_str("SKRANKE_STREAM_LISTEN_URL", "")
if SKRANKE_STREAM_LISTEN_URL and not SKRANKE_STREAM_LISTEN_URL.startswith(
    ("postgres://", "postgresql://")
):
    raise BadSetting("SKRANKE_STREAM_LISTEN_URL must be a postgres:// URL")
if DATABASE_POOLER != "none" and not SKRANKE_STREAM_LISTEN_URL:
    raise BadSetting(
        "SKRANKE_DATABASE_POOLER=pgbouncer-transaction needs SKRANKE_STREAM_LISTEN_URL, a "
        "postgres:// URL straight to PostgreSQL for the event hub's LISTEN"
    )
