"""The log filter masks secrets in links and CPR numbers, and escapes control characters."""

from __future__ import annotations

import logging
import sys

from uvicorn.logging import AccessFormatter

from skranke.lib.logmask import (
    FILTER_NAME,
    MaskSecretsFilter,
    PathSecretMasker,
    escape_control_characters,
    mask_cpr_numbers,
    with_masked_handlers,
)

PREFIXES = ["/t/", "/api/v1/tickets/", "/kiosk/(?:[-a-zA-Z0-9_]+)/number/"]
TOKEN = "Zq3kP0aLm9XbT2vY7cWr1A"
# The filter under test is given prefixes by a function named by its dotted path.
PREFIXES_FUNCTION = f"{__name__}.prefixes"
not_ready_yet = [True]


def prefixes() -> list[str] | None:
    return None if not_ready_yet[0] else PREFIXES


def test_the_secret_segment_keeps_four_characters() -> None:
    masker = PathSecretMasker(PREFIXES)
    assert masker.mask(f"/t/{TOKEN}/") == "/t/Zq3k…/"
    assert (
        masker.mask(f'"GET /t/{TOKEN}/cancel/?x=1 HTTP/1.1"')
        == '"GET /t/Zq3k…/cancel/?x=1 HTTP/1.1"'
    )
    assert masker.mask(f"/api/v1/tickets/{TOKEN}/events") == "/api/v1/tickets/Zq3k…/events"
    assert masker.mask(f"/api/v1/tickets/{TOKEN}") == "/api/v1/tickets/Zq3k…"
    assert masker.mask(f"/kiosk/raadhuset/number/{TOKEN}/") == "/kiosk/raadhuset/number/Zq3k…/"
    # Mistyped links (no slash at the end) are still masked, and full addresses too.
    assert masker.mask(f"https://x.dk/t/{TOKEN}") == "https://x.dk/t/Zq3k…"
    assert masker.mask(f"/t/{TOKEN} /t/{TOKEN}x") == "/t/Zq3k… /t/Zq3k…"


def test_ids_other_paths_and_masked_secrets_stay_as_they_are() -> None:
    masker = PathSecretMasker(PREFIXES)
    for text in (
        "/api/v1/tickets/123456/recall",
        "/api/v1/tickets",
        "/api/v1/tickets/",
        "/kiosk/raadhuset/",
        "/display/raadhuset/",
        "/t/Zq3k…/",
    ):
        assert masker.mask(text) == text
    once = masker.mask(f"/t/{TOKEN}/")
    assert masker.mask(once) == once


def test_no_prefixes_mask_nothing() -> None:
    assert PathSecretMasker([]).mask(f"/t/{TOKEN}/") == f"/t/{TOKEN}/"


def test_cpr_numbers_are_replaced_also_percent_encoded_in_an_address() -> None:
    assert mask_cpr_numbers("note: 010190-1234 ok") == "note: [CPR] ok"
    assert mask_cpr_numbers("/t/x/?q=0101901234") == "/t/x/?q=[CPR]"
    assert mask_cpr_numbers("GET /t/x/?q=010190%201234 HTTP/1.1") == "GET /t/x/?[CPR] HTTP/1.1"
    assert mask_cpr_numbers("GET /t/x/?q=01.01.90+1234") == "GET /t/x/?[CPR]"
    assert mask_cpr_numbers("/søg/010190%2D1234/") == "[CPR]"
    # Full-width digits, percent-encoded as UTF-8.
    full_width = "".join(f"%EF%BC%{0x90 + int(digit):02X}" for digit in "0101901234")
    assert mask_cpr_numbers(f"/?q={full_width}") == "/?[CPR]"


def test_phone_numbers_addresses_and_times_are_not_cpr_numbers() -> None:
    for text in (
        "20 30 40 50",
        "+4520304050",
        "127.0.0.1:54321",
        "2026-03-29 02:30:00,123",
        '127.0.0.1:40000 - "GET /t/x/ HTTP/1.1" 200',
    ):
        assert mask_cpr_numbers(text) == text


def test_control_characters_are_escaped() -> None:
    assert escape_control_characters("a\x00b\nc\x85d\x7f") == "a\\x00b\\nc\\x85d\\x7f"
    assert escape_control_characters("æøå …") == "æøå …"


def _record(
    msg: str, args: tuple[object, ...] | dict[str, object], **extra: object
) -> logging.LogRecord:
    record = logging.LogRecord("test", logging.WARNING, __file__, 1, msg, None, None)
    record.args = args
    record.__dict__.update(extra)
    return record


def test_the_filter_masks_uvicorns_access_record_which_its_formatter_then_writes() -> None:
    masking = MaskSecretsFilter(PREFIXES_FUNCTION)
    not_ready_yet[0] = False
    record = _record(
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:40000", "GET", f"/t/{TOKEN}/?q=0101901234", "1.1", 200),
    )
    assert masking.filter(record) is True
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)
    assert line == '127.0.0.1:40000 - "GET /t/Zq3k…/?q=[CPR] HTTP/1.1" 200 OK'


def test_the_filter_masks_and_escapes_djangos_request_warning() -> None:
    masking = MaskSecretsFilter(PREFIXES_FUNCTION)
    not_ready_yet[0] = False
    record = _record("%s: %s", ("Bad Request", f"/t/{TOKEN}\x00\nFAKE LINE/"))
    masking.filter(record)
    # The path cannot start a line of its own in the log.
    assert record.getMessage() == "Bad Request: /t/Zq3k…\\nFAKE LINE/"
    record = _record("%(reason)s: %(path)s", {"reason": "Not Found", "path": f"/t/{TOKEN}\n/"})
    masking.filter(record)
    assert record.getMessage() == "Not Found: /t/Zq3k…\\n/"


def test_the_filter_masks_a_traceback_and_a_message_without_arguments() -> None:
    masking = MaskSecretsFilter(PREFIXES_FUNCTION)
    not_ready_yet[0] = False
    try:
        raise LookupError(f"no ticket at /api/v1/tickets/{TOKEN}")
    except LookupError:
        record = _record(f"failed: /t/{TOKEN}/", (), exc_info=sys.exc_info())
    masking.filter(record)
    written = logging.Formatter().format(record)
    assert TOKEN not in written
    assert "failed: /t/Zq3k…/" in written and "/api/v1/tickets/Zq3k…" in written


def test_the_filter_asks_for_the_prefixes_again_until_they_are_known() -> None:
    not_ready_yet[0] = True
    masking = MaskSecretsFilter(PREFIXES_FUNCTION)
    early = _record("%s", (f"/t/{TOKEN}/",))
    masking.filter(early)
    assert early.getMessage() == f"/t/{TOKEN}/"
    not_ready_yet[0] = False
    later = _record("%s", (f"/t/{TOKEN}/",))
    masking.filter(later)
    assert later.getMessage() == "/t/Zq3k…/"


def test_every_handler_of_a_configuration_gets_the_filter_first() -> None:
    config = {
        "version": 1,
        "filters": {"mine": {"()": "logging.Filter"}},
        "handlers": {
            "a": {"class": "logging.StreamHandler"},
            "b": {"class": "logging.StreamHandler", "filters": ["mine"]},
        },
    }
    masked = with_masked_handlers(config, PREFIXES_FUNCTION)
    assert masked["handlers"]["a"]["filters"] == [FILTER_NAME]
    assert masked["handlers"]["b"]["filters"] == [FILTER_NAME, "mine"]
    assert masked["filters"][FILTER_NAME]["path_prefixes"] == PREFIXES_FUNCTION
    assert "filters" not in config["handlers"]["a"], "the original is left alone"
