"""The access walk's rules and routes: who may use a route, and how a route is found and filled.

A rule says who may use a route, read against the permission matrix
(skranke.access.permissions.MATRIX) for the caller's role at the centre of the route's object;
path parameters are always filled with centre A's objects. The routes themselves are listed in
walk_routes.py (pages and the API) and walk_admin.py (the Django admin); test_access_walk.py
compares them with the URL resolver and the OpenAPI document.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver

from skranke.access.permissions import MATRIX, Capability
from skranke.access.tests.walk_world import Caller, CallerKind, World, has_django_permission
from skranke.organisation.models import Role

# Rules: who may use a route ---------------------------------------------------------------------


class Rule(ABC):
    """Who may use a route; `allows` answers for one caller and centre A's objects."""

    @abstractmethod
    def allows(self, caller: Caller) -> bool:
        """Return whether ``caller`` may use the route."""


@dataclass(frozen=True)
class Anyone(Rule):
    """Public pages, and citizens' pages guarded by an unguessable token in the address."""

    label: str = "public"

    def allows(self, caller: Caller) -> bool:
        return True

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Needs(Rule):
    """The capability, at the centre of the route's object (or at any centre, `anywhere`)."""

    capability: Capability
    anywhere: bool = False

    def allows(self, caller: Caller) -> bool:
        if caller.role is None or self.capability not in MATRIX[caller.role]:
            return False
        return self.anywhere or caller.centre == "A"

    def __str__(self) -> str:
        return f"{self.capability.value} {'anywhere' if self.anywhere else 'at A'}"


@dataclass(frozen=True)
class SignedInStaff(Rule):
    def allows(self, caller: Caller) -> bool:
        return caller.kind == CallerKind.STAFF

    def __str__(self) -> str:
        return "any employee"


@dataclass(frozen=True)
class PairedDevice(Rule):
    def allows(self, caller: Caller) -> bool:
        return caller.kind == CallerKind.DEVICE

    def __str__(self) -> str:
        return "any paired device"


@dataclass(frozen=True)
class SessionOwner(Rule):
    """Only the employee in the open session at A's held counter (DESIGN.md, "Who acts on a
    ticket"). `ticket_at_counter`: the route acts on the number at that counter, and a
    colleague at the centre may be refused with 403 or a 409 that names its code."""

    ticket_at_counter: bool = False

    def allows(self, caller: Caller) -> bool:
        return caller.serving

    def __str__(self) -> str:
        return "the serving employee" if self.ticket_at_counter else "the session's owner"


@dataclass(frozen=True)
class Nobody(Rule):
    def allows(self, caller: Caller) -> bool:
        return False

    def __str__(self) -> str:
        return "nobody"


@dataclass(frozen=True)
class NotFound(Rule):
    """An address that serves nothing: 404 for everyone."""

    def allows(self, caller: Caller) -> bool:
        return False

    def __str__(self) -> str:
        return "nothing here"


@dataclass(frozen=True)
class DjangoPermission(Rule):
    """Django's model permission, as the walk grants it (walk_world.has_django_permission)."""

    app_label: str
    action: str

    def allows(self, caller: Caller) -> bool:
        if caller.kind != CallerKind.STAFF:
            return False
        return has_django_permission(Role(caller.role), self.app_label, self.action)

    def __str__(self) -> str:
        return f"{self.app_label}.{self.action} permission"


@dataclass(frozen=True)
class AnyOf(Rule):
    rules: tuple[Rule, ...]

    def allows(self, caller: Caller) -> bool:
        return any(rule.allows(caller) for rule in self.rules)

    def __str__(self) -> str:
        return " or ".join(dict.fromkeys(str(rule) for rule in self.rules)) or "nobody"


@dataclass(frozen=True)
class AtCentreA(Rule):
    """`rule`, and only for staff of centre A: the route shows or changes one of A's rows."""

    rule: Rule

    def allows(self, caller: Caller) -> bool:
        return self.rule.allows(caller) and caller.centre == "A"

    def __str__(self) -> str:
        return f"{self.rule}, A's staff only"


PUBLIC = Anyone()
TOKEN = Anyone("holder of the token")
OWNER = SessionOwner()
AT_COUNTER = SessionOwner(ticket_at_counter=True)
STAFF = SignedInStaff()
DEVICE = PairedDevice()
NOBODY = Nobody()
NOT_FOUND = NotFound()


# Routes -----------------------------------------------------------------------------------------


class Surface(StrEnum):
    PAGE = "page"
    ADMIN = "admin"
    API = "api"
    STREAM = "stream"


Body = Callable[[World], Mapping[str, Any]]
# A dotted path into the World (a model found there gives its primary key), or a function of it.
Parameter = str | Callable[[World], Any]
Prepare = Callable[[World], None]


@dataclass(frozen=True)
class Route:
    """One walked route: a URL pattern (by name, or by its pattern when unnamed) or an API
    operation ("POST /api/v1/…"), called with one method (and one `variant` where a path
    parameter chooses what the route does)."""

    key: str
    surface: Surface
    method: str
    rule: Rule
    variant: str = ""
    # The path parameter that `variant` fills.
    variant_parameter: str = ""
    params: Mapping[str, Parameter] = field(default_factory=dict)
    # The query string an API operation is called with, filled as path parameters are.
    query: Mapping[str, Parameter] = field(default_factory=dict)
    body: Body | None = None
    prepare: Prepare | None = None
    # Callers who may meet a state conflict (400/409/422) although they may use the route.
    conflict_for: frozenset[str] = frozenset()
    # An admin list of rows that belong to centres: it must show only the caller's centres'.
    lists_rows: bool = False

    @property
    def name(self) -> str:
        variant = f"[{self.variant}]" if self.variant else ""
        return f"{self.method} {self.key}{variant}"


def page(key: str, method: str, rule: Rule, **options: Any) -> Route:
    return Route(key, Surface.PAGE, method, rule, **options)


def api(operation: str, rule: Rule, **options: Any) -> Route:
    method, _space, path = operation.partition(" ")
    return Route(path, Surface.API, method, rule, **options)


def stream(path: str, rule: Rule) -> Route:
    return Route(path, Surface.STREAM, "GET", rule)


# What fills a path parameter when the route does not say.
PARAMETERS: dict[str, Parameter] = {
    "slug": "a.location.slug",
    "token": "a.waiting.token",
    "counter_id": "a.held",
    "ticket_id": "a.called",
    "queue_id": "a.passports",
    "area_slug": "a.area.slug",
}


# Discovery: what the site actually serves -------------------------------------------------------


def _patterns(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            found += _patterns(
                pattern.url_patterns,
                route,
                f"{namespace}:{inner}" if namespace and inner else inner or namespace,
            )
        elif isinstance(pattern, URLPattern):
            key = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            found.append((key or route, route))
    return found


def resolver_routes() -> dict[str, str]:
    """Return every URL pattern of the site: key (URL name, or the pattern when unnamed) → its
    full pattern."""
    return dict(_patterns(get_resolver().url_patterns))


_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def as_openapi_path(pattern: str) -> str:
    """Return the OpenAPI form of a URL pattern: "api/v1/x/<token>" → "/api/v1/x/{token}"."""
    return "/" + _CONVERTER.sub(r"{\1}", pattern)


def pattern_parameters(pattern: str) -> list[str]:
    # Regular expressions first: "(?P<name>…)" holds what looks like a converter.
    return _NAMED_GROUP.findall(pattern) + _CONVERTER.findall(_NAMED_GROUP.sub("", pattern))


def fill_pattern(pattern: str, values: Mapping[str, str]) -> str:
    """Return the address of ``pattern`` with its parameters replaced by ``values``."""
    filled = _NAMED_GROUP.sub(lambda match: values[match.group(1)], pattern)
    filled = _CONVERTER.sub(lambda match: values[match.group(1)], filled)
    return "/" + filled.replace("^", "").replace("$", "")


def fill_openapi_path(path: str, values: Mapping[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


def openapi_parameters(path: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", path)


class CannotFill(Exception):
    """A path parameter the walk does not know how to fill."""


def parameter_value(world: World, route: Route, name: str) -> str:
    """Return the value of path parameter ``name`` for ``route``; raises CannotFill."""
    if name == route.variant_parameter:
        return route.variant
    parameter = route.params.get(name) or PARAMETERS.get(name)
    if parameter is None:
        raise CannotFill(f"no value for the path parameter {name!r}")
    return _value(world, parameter)


def query_string(world: World, route: Route) -> str:
    """Return "?name=value&…" for the route's query parameters, or "" when it has none."""
    if not route.query:
        return ""
    return "?" + urlencode({name: _value(world, value) for name, value in route.query.items()})


def _value(world: World, parameter: Parameter) -> str:
    if callable(parameter):
        return str(parameter(world))
    value: Any = world
    for part in parameter.split("."):
        # The World's dicts are keyed by Role or DevicePurpose, which are str enums.
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return str(value.pk if isinstance(value, Model) else value)
