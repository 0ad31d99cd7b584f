"""Both catalogues are complete, compiled, and up to date with the source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

PACKAGE = Path(__file__).resolve().parents[2]
LANGUAGES = ["da", "en"]


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    catalogue = _catalogue(language)
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert len(catalogue) > 100
    assert untranslated == [], f"{language}: untranslated messages"
    assert fuzzy == [], f"{language}: fuzzy messages"
    assert not catalogue.metadata_is_fuzzy


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_source(language: str) -> None:
    def text(entry: polib.POEntry | polib.MOEntry) -> object:
        # A plural entry keeps its forms in msgstr_plural, a singular one in msgstr.
        return entry.msgstr or dict(entry.msgstr_plural)

    source = {
        (entry.msgctxt, entry.msgid): text(entry) for entry in _catalogue(language) if text(entry)
    }
    compiled_path = PACKAGE / "locale" / language / "LC_MESSAGES" / "django.mo"
    compiled = {
        (entry.msgctxt, entry.msgid): text(entry) for entry in polib.mofile(str(compiled_path))
    }
    assert compiled == source, "run `make messages` to compile the catalogues"


@pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="needs GNU gettext (xgettext) to extract messages; CI installs it",
)
def test_catalogues_hold_every_message_in_the_source(tmp_path: Path) -> None:
    copy = tmp_path / "skranke"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    environment = {**os.environ, "SKRANKE_DATA_DIR": str(tmp_path / "var")}
    subprocess.run(
        # -P: run from inside the package folder without its `queue` app hiding the standard
        # library's queue module.
        [
            sys.executable,
            "-P",
            "-m",
            "skranke",
            "makemessages",
            "--locale",
            "da",
            "--ignore",
            "tests/*",
        ],
        cwd=copy,
        env=environment,
        check=True,
        capture_output=True,
    )
    extracted = {
        entry.msgid for entry in polib.pofile(str(copy / "locale/da/LC_MESSAGES/django.po"))
    }
    committed = {entry.msgid for entry in _catalogue("da")}
    assert sorted(extracted - committed) == [], "new messages: run `make messages` and translate"
