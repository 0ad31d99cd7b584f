"""The number system's layers (docs/architecture.md), read from the source with `ast`.

Imports point one way: views and the API call services and reads; services write through
models; reads and live read models. So services/, reads/ and live/ never import views/ or api/,
reads/ never imports services/ or live/, and services/ never imports live/ (the hub learns of a
new event through the database, not by import). No module is longer than MAX_LINES, and no
module imports another module's underscore names.
"""

from __future__ import annotations

import ast
from pathlib import Path

QUEUE = Path(__file__).resolve().parent.parent
PACKAGE = "skranke.queue"
MAX_LINES = 500

# Layer -> the layers it must not import.
FORBIDDEN = {
    "services": {"views", "api", "live"},
    "reads": {"views", "api", "services", "live"},
    "live": {"views", "api"},
}


def source_modules() -> list[Path]:
    """Return the queue's modules, without its tests and migrations."""
    return sorted(
        path
        for path in QUEUE.rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(QUEUE).parts)
    )


def module_name(path: Path) -> str:
    parts = path.relative_to(QUEUE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def imports(module: str, source: str) -> list[tuple[str, list[str]]]:
    """Return (module imported, names taken from it) for every import in ``source``, the text of
    ``module``."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: -node.level]
                base = ".".join([*package, base] if base else package)
            names = [alias.name for alias in node.names]
            if base == PACKAGE:
                # "from skranke.queue import services" imports the sub-package itself.
                found += [(f"{base}.{name}", []) for name in names]
            else:
                found.append((base, names))
    return found


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["skranke", "queue"] or len(parts) < 3:
        return None
    return parts[2]


def layer_problems(module: str, source: str) -> list[str]:
    """Return the imports of ``module`` that break the direction of the layers."""
    own = layer_of(module)
    forbidden = FORBIDDEN.get(own or "", set())
    return [
        f"{module} imports {imported} ({own} must not import {layer})"
        for imported, _names in imports(module, source)
        if (layer := layer_of(imported)) in forbidden
    ]


def private_problems(module: str, source: str) -> list[str]:
    """Return the underscore names ``module`` imports from another module of the project."""
    return [
        f"{module} imports {name} from {imported}"
        for imported, names in imports(module, source)
        if imported.startswith("skranke.")
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]


def sources() -> list[tuple[str, str]]:
    return [(module_name(path), path.read_text(encoding="utf-8")) for path in source_modules()]


def test_the_check_finds_a_bad_import() -> None:
    """The check itself: imports against the direction, and a private one, are found."""
    probe = (
        "from skranke.queue.views.counter.page import TICKET_ACTIONS\n"
        "from skranke.queue import live\n"
        "from ..api import schemas\n"
        "from skranke.queue.views.counter.context import _near_this_counter\n"
    )
    module = "skranke.queue.services.probe"
    assert len(layer_problems(module, probe)) == 4
    assert layer_problems("skranke.queue.reads.probe", "from skranke.queue import services\n")
    assert private_problems(module, probe) == [
        f"{module} imports _near_this_counter from skranke.queue.views.counter.context"
    ]


def test_imports_point_one_way() -> None:
    assert [
        problem for module, source in sources() for problem in layer_problems(module, source)
    ] == []


def test_no_private_names_are_imported_across_modules() -> None:
    assert [
        problem for module, source in sources() for problem in private_problems(module, source)
    ] == []


def test_no_module_is_too_long() -> None:
    too_long = {
        module: lines
        for module, source in sources()
        if (lines := len(source.splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"longer than {MAX_LINES} lines; split them by topic"
