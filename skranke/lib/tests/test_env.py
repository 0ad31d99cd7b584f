"""The typed readers that turn SKRANKE_* environment variables into settings."""

from __future__ import annotations

import pytest

from skranke.lib.env import (
    BadSetting,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    env_time_zone,
)


def assert_one_line_naming(error: pytest.ExceptionInfo[BadSetting], name: str) -> None:
    message = str(error.value)
    assert name in message
    assert "\n" not in message


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", " yes "])
def test_env_bool_reads_true(value: str) -> None:
    assert env_bool("SKRANKE_FLAG", False, {"SKRANKE_FLAG": value}) is True


@pytest.mark.parametrize("value", ["0", "false", "No", "OFF"])
def test_env_bool_reads_false(value: str) -> None:
    assert env_bool("SKRANKE_FLAG", True, {"SKRANKE_FLAG": value}) is False


def test_env_bool_unset_or_empty_gives_default() -> None:
    assert env_bool("SKRANKE_FLAG", True, {}) is True
    assert env_bool("SKRANKE_FLAG", False, {}) is False
    assert env_bool("SKRANKE_FLAG", True, {"SKRANKE_FLAG": " "}) is True


@pytest.mark.parametrize("value", ["maybe", "2", "ja", "y e s", "yes\nno"])
def test_env_bool_refuses_other_values(value: str) -> None:
    with pytest.raises(BadSetting) as error:
        env_bool("SKRANKE_FLAG", False, {"SKRANKE_FLAG": value})
    assert_one_line_naming(error, "SKRANKE_FLAG")


def test_env_bool_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKRANKE_TEST_FLAG", "on")
    assert env_bool("SKRANKE_TEST_FLAG", False) is True


def test_env_int_reads_whole_numbers_within_bounds() -> None:
    environ = {"SKRANKE_N": " 7 "}
    assert env_int("SKRANKE_N", 1, environ, minimum=7, maximum=7) == 7
    assert env_int("SKRANKE_N", 1, {"SKRANKE_N": "-3"}) == -3


@pytest.mark.parametrize("environ", [{}, {"SKRANKE_N": ""}, {"SKRANKE_N": "  "}])
def test_env_int_unset_or_empty_gives_default(environ: dict[str, str]) -> None:
    assert env_int("SKRANKE_N", 42, environ, minimum=100) == 42


@pytest.mark.parametrize("value", ["seven", "1.5", "0x10", "1e3"])
def test_env_int_refuses_what_is_not_a_whole_number(value: str) -> None:
    with pytest.raises(BadSetting, match="not a whole number") as error:
        env_int("SKRANKE_N", 1, {"SKRANKE_N": value})
    assert_one_line_naming(error, "SKRANKE_N")


def test_env_int_refuses_values_below_the_minimum() -> None:
    with pytest.raises(BadSetting, match="below the minimum 1") as error:
        env_int("SKRANKE_N", 5, {"SKRANKE_N": "0"}, minimum=1)
    assert_one_line_naming(error, "SKRANKE_N")


def test_env_int_refuses_values_above_the_maximum() -> None:
    with pytest.raises(BadSetting, match="above the maximum 10") as error:
        env_int("SKRANKE_N", 5, {"SKRANKE_N": "11"}, maximum=10)
    assert_one_line_naming(error, "SKRANKE_N")


def test_env_str_treats_empty_as_unset() -> None:
    assert env_str("SKRANKE_S", "fallback", {"SKRANKE_S": "  "}) == "fallback"
    assert env_str("SKRANKE_S", "fallback", {}) == "fallback"
    assert env_str("SKRANKE_S", "fallback", {"SKRANKE_S": " value "}) == "value"


def test_env_list_splits_on_commas_and_drops_empty_items() -> None:
    environ = {"SKRANKE_HOSTS": " a.example , ,b.example,"}
    assert env_list("SKRANKE_HOSTS", ["x"], environ) == ["a.example", "b.example"]
    assert env_list("SKRANKE_HOSTS", ["x"], {}) == ["x"]
    assert env_list("SKRANKE_HOSTS", ["x"], {"SKRANKE_HOSTS": ""}) == []


def test_env_list_default_is_a_copy() -> None:
    default = ["x"]
    env_list("SKRANKE_HOSTS", default, {}).append("y")
    assert default == ["x"]


def test_env_choice_accepts_only_the_choices() -> None:
    assert env_choice("SKRANKE_LANGUAGE", "da", ("da", "en"), {"SKRANKE_LANGUAGE": "en"}) == "en"
    assert env_choice("SKRANKE_LANGUAGE", "da", ("da", "en"), {}) == "da"
    with pytest.raises(BadSetting, match="da, en") as error:
        env_choice("SKRANKE_LANGUAGE", "da", ("da", "en"), {"SKRANKE_LANGUAGE": "fr"})
    assert_one_line_naming(error, "SKRANKE_LANGUAGE")


def test_env_time_zone_accepts_iana_names() -> None:
    environ = {"SKRANKE_TIME_ZONE": "America/Nuuk"}
    assert env_time_zone("SKRANKE_TIME_ZONE", "Europe/Copenhagen", environ) == "America/Nuuk"
    assert env_time_zone("SKRANKE_TIME_ZONE", "Europe/Copenhagen", {}) == "Europe/Copenhagen"


@pytest.mark.parametrize("value", ["Mars/Olympus", "Europe", "../../etc/passwd", "/etc/localtime"])
def test_env_time_zone_refuses_unknown_zones(value: str) -> None:
    with pytest.raises(BadSetting, match="not a known time zone") as error:
        env_time_zone("SKRANKE_TIME_ZONE", "Europe/Copenhagen", {"SKRANKE_TIME_ZONE": value})
    assert_one_line_naming(error, "SKRANKE_TIME_ZONE")
