"""The example deployment files (deploy/) still fit the application, so the docs do not rot:
the systemd units start real `skranke` commands with real options, nginx passes live streams
through unbuffered and keeps quiet ones open, and the environment file names real settings."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.urls import Resolver404, resolve

PROJECT = Path(__file__).resolve().parents[3]
DEPLOY = PROJECT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
NGINX = DEPLOY / "nginx" / "skranke.conf"
STREAM_PATHS = (
    "/api/v1/locations/demo/events",
    "/api/v1/tickets/AbC-12_xyz/events",
    "/api/v1/locations/demo/staff-events",
)


# systemd ----------------------------------------------------------------------------------------


def unit_commands(unit: Path) -> list[list[str]]:
    """Return the command lines of ``unit``'s ExecStart (and ExecStartPre) entries."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(unit, encoding="utf-8")
    service = parser["Service"]
    commands = []
    for key in ("ExecStartPre", "ExecStart"):
        for line in service.get(key, "").splitlines():
            if line.strip():
                # systemd's prefixes ("-", "+", "!", "@") say how to run it, not what.
                commands.append(shlex.split(line.strip().lstrip("-+!@:")))
    return commands


def test_there_are_units_for_the_web_server_and_the_worker() -> None:
    assert {unit.name for unit in UNITS} >= {"skranke-web.service", "skranke-worker.service"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_each_unit_runs_real_skranke_commands_with_real_options(unit: Path) -> None:
    commands = unit_commands(unit)
    assert commands, f"{unit.name} has no ExecStart"
    for argv in commands:
        assert Path(argv[0]).name == "skranke", argv
        name, options = argv[1], argv[2:]
        assert name in get_commands(), f"{unit.name}: `skranke {name}` is no command"
        command = load_command_class(get_commands()[name], name)
        # Django's parser raises CommandError for an unknown option or a bad value.
        parsed = command.create_parser("skranke", name).parse_args(options)
        if name == "serve":
            assert parsed.workers >= 2, "the example shows several workers"
            # nginx's upstream points at this address.
            assert f"server {parsed.host}:{parsed.port}" in NGINX.read_text(encoding="utf-8")


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_each_unit_reads_the_environment_file_and_stops_gracefully(unit: Path) -> None:
    text = unit.read_text(encoding="utf-8")
    assert "EnvironmentFile=/etc/skranke/skranke.env" in text
    assert "KillSignal=SIGTERM" in text


def test_the_environment_file_names_only_real_documented_settings() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    text = (DEPLOY / "skranke.env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^#?(SKRANKE_[A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert "SKRANKE_DATABASE_URL" in names
    for name in names:
        assert f"`{name}`" in readme or f"`{name.rsplit('_', 1)[0]}_" in readme, (
            f"{name} is not in the README's configuration table"
        )


# nginx ------------------------------------------------------------------------------------------


Block = list["Directive"]


class Directive:
    def __init__(self, name: str, args: list[str], block: Block | None) -> None:
        self.name, self.args, self.block = name, args, block

    def __repr__(self) -> str:
        return f"{self.name} {' '.join(self.args)}"


def parse_nginx(text: str) -> Block:
    """Return nginx's configuration as nested directives (enough of the syntax for this file)."""
    tokens = re.findall(r'"[^"]*"|\'[^\']*\'|[{};]|[^\s{};]+', re.sub(r"#[^\n]*", "", text))
    position = 0

    def block() -> Block:
        nonlocal position
        directives: Block = []
        words: list[str] = []
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == ";":
                directives.append(Directive(words[0], words[1:], None))
                words = []
            elif token == "{":
                directives.append(Directive(words[0], words[1:], block()))
                words = []
            elif token == "}":
                assert not words, f"unterminated directive {words}"
                return directives
            else:
                words.append(token.strip("\"'"))
        assert not words, f"unterminated directive {words}"
        return directives

    return block()


def seconds(value: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", value)
    assert match, value
    return int(match[1]) * units[match[2] or "s"]


def location_for(server: Block, path: str) -> Directive:
    """Return the location block nginx picks for ``path``: the first matching regex, else the
    longest matching prefix (nginx's order for the kinds of location used here)."""
    locations = [d for d in server if d.name == "location" and d.block is not None]
    for location in locations:
        if location.args[0] in ("~", "~*"):
            flags = re.IGNORECASE if location.args[0] == "~*" else 0
            if re.search(location.args[1], path, flags):
                return location
    prefixes = [loc for loc in locations if len(loc.args) == 1 and path.startswith(loc.args[0])]
    assert prefixes, f"no location for {path}"
    return max(prefixes, key=lambda loc: len(loc.args[0]))


def effective(name: str, location: Directive, server: Block) -> list[str] | None:
    """Return the arguments of ``name`` as it applies in ``location`` (inherited from server)."""
    assert location.block is not None
    for scope in (location.block, server):
        for directive in scope:
            if directive.name == name and directive.block is None:
                return directive.args
    return None


@pytest.fixture(scope="module")
def https_server() -> Block:
    servers = [d for d in parse_nginx(NGINX.read_text(encoding="utf-8")) if d.name == "server"]
    for server in servers:
        assert server.block is not None
        if any(d.name == "listen" and "ssl" in d.args for d in server.block):
            return server.block
    raise AssertionError("no HTTPS server block")


def test_the_stream_paths_are_the_applications_stream_routes() -> None:
    # Should the routes move, the nginx location below would no longer match them.
    for path in STREAM_PATHS:
        try:
            match = resolve(path)
        except Resolver404:
            pytest.fail(f"{path} is no route any more")
        assert match.url_name in (
            "location_events",
            "ticket_events",
            "location_staff_events",
        ), match.url_name


@pytest.mark.parametrize("path", STREAM_PATHS)
def test_nginx_passes_streams_through_unbuffered_and_keeps_them_open(
    https_server: Block, path: str
) -> None:
    location = location_for(https_server, path)
    assert effective("proxy_pass", location, https_server) == ["http://skranke"]
    assert effective("proxy_buffering", location, https_server) == ["off"]
    assert effective("proxy_cache", location, https_server) in (None, ["off"])
    assert effective("gzip", location, https_server) in (None, ["off"])
    assert effective("proxy_http_version", location, https_server) == ["1.1"]
    timeout = effective("proxy_read_timeout", location, https_server)
    assert timeout is not None
    # Longer than several heartbeats, or quiet streams would be cut off.
    assert seconds(timeout[0]) >= 4 * settings.SKRANKE_STREAM_HEARTBEAT_SECONDS


def test_nginx_buffers_ordinary_requests_and_passes_the_proxy_headers(
    https_server: Block,
) -> None:
    location = location_for(https_server, "/api/v1/locations/demo/status")
    assert location.args == ["/"]
    assert effective("proxy_buffering", location, https_server) in (None, ["on"])
    headers = {
        args[0]: args[1]
        for directive in https_server
        if directive.name == "proxy_set_header" and (args := directive.args)
    }
    assert headers["Host"] == "$host"
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Connection"] == ""


def test_the_parser_reads_what_it_is_given() -> None:
    # The checks above are only as good as the parser: a buffered stream must be seen as one.
    config = parse_nginx(
        "server { listen 443 ssl; location ~ ^/api/v1/(locations|tickets)/[^/]+/events$ "
        "{ proxy_buffering on; } location / { } }"
    )
    server = config[0].block
    assert server is not None
    location = location_for(server, STREAM_PATHS[0])
    assert effective("proxy_buffering", location, server) == ["on"]
    assert location_for(server, "/other").args == ["/"]


# PgBouncer in transaction mode ----------------------------------------------------------------

LISTEN_URL = "postgres://skranke@127.0.0.1:1/skranke"
POOLED_URL = "postgres://skranke@127.0.0.1:2/skranke"


def test_behind_pgbouncer_server_side_cursors_and_prepared_statements_are_off(
    tmp_path: Path,
) -> None:
    from skranke.core.tests.test_settings import run_skranke

    probe = (
        "from django.conf import settings;"
        "from skranke.queue.live.hub_postgres import listen_connection_params;"
        "d = settings.DATABASES['default'];"
        "print(d['DISABLE_SERVER_SIDE_CURSORS'], d['OPTIONS']['prepare_threshold'],"
        " listen_connection_params()['conninfo'])"
    )
    result = run_skranke(
        tmp_path,
        "shell",
        "-c",
        probe,
        SKRANKE_DATABASE_URL=POOLED_URL,
        SKRANKE_DATABASE_POOLER="pgbouncer-transaction",
        SKRANKE_STREAM_LISTEN_URL=LISTEN_URL,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["True", "None", LISTEN_URL]


def test_without_a_pooler_server_side_cursors_stay_on(tmp_path: Path) -> None:
    from skranke.core.tests.test_settings import run_skranke

    probe = (
        "from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d.get('DISABLE_SERVER_SIDE_CURSORS', False), 'prepare_threshold' in d['OPTIONS'])"
    )
    result = run_skranke(tmp_path, "shell", "-c", probe, SKRANKE_DATABASE_URL=POOLED_URL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "False"]


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        # LISTEN cannot go through PgBouncer in transaction mode.
        ({"SKRANKE_DATABASE_URL": POOLED_URL}, "SKRANKE_STREAM_LISTEN_URL"),
        ({"SKRANKE_STREAM_LISTEN_URL": LISTEN_URL}, "SKRANKE_DATABASE_POOLER"),
        (
            {"SKRANKE_DATABASE_URL": POOLED_URL, "SKRANKE_DATABASE_POOLER": "pgpool"},
            "SKRANKE_DATABASE_POOLER",
        ),
    ],
    ids=["no-listen-url", "sqlite", "unknown-pooler"],
)
def test_a_pooler_setting_that_cannot_work_stops_start_up_with_one_line(
    tmp_path: Path, variables: dict[str, str], named: str
) -> None:
    from skranke.core.tests.test_settings import run_skranke

    variables.setdefault("SKRANKE_DATABASE_POOLER", "pgbouncer-transaction")
    result = run_skranke(tmp_path, "check", **variables)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert named in result.stderr


def test_the_environment_file_as_given_is_a_valid_configuration(tmp_path: Path) -> None:
    from skranke.core.tests.test_settings import run_skranke

    variables = {}
    for line in (DEPLOY / "skranke.env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _equals, value = line.partition("=")
            variables[name] = value.strip('"')
    # The folder the example names does not exist here.
    variables.pop("SKRANKE_DATA_DIR")
    result = run_skranke(tmp_path, "check", **variables)
    assert result.returncode == 0, result.stderr
