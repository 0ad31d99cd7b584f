"""Queues, subject areas, counters and teams named in an imported file, found or created.

A history names things by name. Each is looked up without regard to case (queues and counters in
the centre being imported into, subject areas and teams in the whole installation) and created
when missing: a queue with a free number prefix taken from its name, a subject area with a free
short name, a counter with a free number. What is created is inactive, so kiosks and counters do
not offer it until an administrator chooses to; the import's summary lists it. An import running
at the same time that creates the same name first wins, and this one uses what it created.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from skranke.catalogue.models import Queue, QueueKind, Service, SubjectArea
from skranke.history.errors import BadValue
from skranke.organisation.models import Counter, Location, Team, TeamKind

PREFIX_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅ"
# Danish letters spelt out where a short name (slug) allows only ASCII.
_TRANSLITERATION = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
_NUMBER = re.compile(r"\d+")
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
LARGEST_COUNTER_NUMBER = 32767
# Tries at creating a name that other imports running at the same time keep creating first.
CREATE_ATTEMPTS = 3


def _key(name: str) -> str:
    return name.strip().casefold()


def _prefix_letters(word: str) -> str:
    """Return the letters of ``word`` a prefix may use: capitals, accents taken off (É is E),
    Æ, Ø and Å kept."""
    letters = []
    for character in word.upper():
        if character in PREFIX_LETTERS:
            letters.append(character)
            continue
        base = unicodedata.normalize("NFKD", character)[:1]
        if base in PREFIX_LETTERS:
            letters.append(base)
    return "".join(letters)


def prefix_candidates(name: str) -> Iterator[str]:
    """Yield number prefixes for a queue called ``name``, the most telling first: its first
    letter, its words' initials, its first two and three letters, its first letter with each
    later one; then every prefix of one to three letters."""
    words = [letters for word in name.split() if (letters := _prefix_letters(word))]
    letters = "".join(words)
    if letters:
        yield letters[0]
        if len(words) > 1:
            yield "".join(word[0] for word in words[:3])
        yield letters[:2]
        yield letters[:3]
        for later in letters[1:]:
            yield letters[0] + later
    for length in (1, 2, 3):
        for combination in itertools.product(PREFIX_LETTERS, repeat=length):
            yield "".join(combination)


def slug_candidates(name: str, max_length: int) -> Iterator[str]:
    """Yield short names for ``name``: its slug, then the slug with -2, -3 …"""
    base = slugify(name.translate(_TRANSLITERATION))[:max_length].strip("-") or "import"
    yield base
    for number in itertools.count(2):
        suffix = f"-{number}"
        yield base[: max_length - len(suffix)].rstrip("-") + suffix


def _checked_name(name: str, column: str, max_length: int) -> str:
    name = name.strip()
    if len(name) > max_length:
        raise BadValue(
            column,
            _("a name of %(length)d characters; at most %(most)d fit.")
            % {"length": len(name), "most": max_length},
        )
    return name


class CentreCatalogue:
    """The queues and counters of one centre, and the installation's subject areas, teams and
    services, by name; missing ones are created on first use and listed in ``created``.

    ``before_creating`` is called before each creation: the import's writer finishes the batches
    it holds, so that nothing of theirs happens inside the creation's savepoint.
    """

    def __init__(
        self, location: Location, before_creating: Callable[[], None] = lambda: None
    ) -> None:
        self.location = location
        self.before_creating = before_creating
        self.created: dict[str, list[str]] = {
            "queues": [],
            "subject_areas": [],
            "counters": [],
            "teams": [],
        }
        # Answers by the exact text a file gives, so a name is looked up once per import.
        self._answers: dict[tuple[str, ...], int | None] = {}
        self._load()

    def _load(self) -> None:
        """Read what exists: names (Danish over another entry's English one), prefixes, short
        names and numbers taken."""
        self._queues: dict[str, int] = {}
        self._prefixes: set[str] = set()
        queues = Queue.objects.filter(location=self.location)
        for pk, name_en, prefix in queues.values_list("pk", "name_en", "prefix"):
            if name_en:
                self._queues.setdefault(_key(name_en), pk)
            self._prefixes.add(prefix)
        for pk, name in queues.values_list("pk", "name"):
            self._queues[_key(name)] = pk
        self._areas: dict[str, int] = {}
        self._area_slugs: dict[str, int] = {}
        for pk, name_en, slug in SubjectArea.objects.values_list("pk", "name_en", "slug"):
            if name_en:
                self._areas.setdefault(_key(name_en), pk)
            self._area_slugs[slug] = pk
        for pk, name in SubjectArea.objects.values_list("pk", "name"):
            self._areas[_key(name)] = pk
        self._counters: dict[str, int] = {}
        self._unnamed_counters: dict[int, int] = {}
        self._counter_numbers: set[int] = set()
        counters = Counter.objects.filter(location=self.location)
        for pk, number, name in counters.values_list("pk", "number", "name"):
            self._counter_numbers.add(number)
            if name.strip():
                self._counters.setdefault(_key(name), pk)
            else:
                self._unnamed_counters[number] = pk
        self._teams = {_key(name): pk for pk, name in Team.objects.values_list("pk", "name")}
        self._services = dict(Service.objects.values_list("slug", "pk"))

    def _found_or_created(
        self, find: Callable[[], int | None], create: Callable[[], int], column: str
    ) -> int:
        """Return ``find()``, or the id ``create()`` gives, run under a savepoint.

        Another import may create the same entry at the same time, or take the prefix, short
        name or number chosen for it: a unique constraint then refuses this one, and once that
        import has committed, what exists is read again and looked up anew.
        """
        for _attempt in range(CREATE_ATTEMPTS):
            if (pk := find()) is not None:
                return pk
            self.before_creating()
            try:
                with transaction.atomic():
                    return create()
            except IntegrityError:
                self._load()
        raise BadValue(column, _("other imports kept creating the same names; import again."))

    def queue(self, name: str, column: str, prefix: str = "", kind: str = "") -> int:
        """Return the id of the centre's queue called ``name``, created if missing (with
        ``prefix`` when it is free, and of ``kind``, front office unless told)."""
        asked = ("queue", name, prefix, kind)
        if (known := self._answers.get(asked)) is not None:
            return known
        name = _checked_name(name, column, Queue._meta.get_field("name").max_length or 100)
        if not name:
            raise BadValue(column, _("a queue must be named."))

        def create() -> int:
            candidates = itertools.chain([prefix] if prefix else [], prefix_candidates(name))
            chosen = next(
                (
                    candidate
                    for candidate in candidates
                    if candidate not in self._prefixes and _valid_prefix(candidate)
                ),
                "",
            )
            if not chosen:
                raise BadValue(column, _("the centre has no free number prefix left."))
            queue = Queue.objects.create(
                location=self.location,
                name=name,
                prefix=chosen,
                kind=kind or QueueKind.FRONT,
                active=False,
            )
            self._queues[_key(name)] = queue.pk
            self._prefixes.add(chosen)
            self.created["queues"].append(f"{name} ({chosen})")
            return queue.pk

        pk = self._found_or_created(lambda: self._queues.get(_key(name)), create, column)
        self._answers[asked] = pk
        return pk

    def subject_area(self, name: str, column: str, slug: str = "") -> int:
        """Return the id of the subject area called ``name`` (or, failing that, with the short
        name ``slug``), created if missing."""
        asked = ("area", name, slug)
        if (known := self._answers.get(asked)) is not None:
            return known
        name = _checked_name(name, column, SubjectArea._meta.get_field("name").max_length or 100)
        slug_length = SubjectArea._meta.get_field("slug").max_length or 50
        given = [slug] if _SLUG.fullmatch(slug) and len(slug) <= slug_length else []

        def find() -> int | None:
            pk = self._areas.get(_key(name))
            return self._area_slugs.get(slug) if pk is None and slug else pk

        def create() -> int:
            chosen = next(
                candidate
                for candidate in itertools.chain(given, slug_candidates(name, slug_length))
                if candidate not in self._area_slugs
            )
            area = SubjectArea.objects.create(name=name, slug=chosen, active=False)
            self._areas[_key(name)] = area.pk
            self._area_slugs[chosen] = area.pk
            self.created["subject_areas"].append(name)
            return area.pk

        pk = self._found_or_created(find, create, column)
        self._answers[asked] = pk
        return pk

    def counter(self, name: str, column: str, number: int | None = None) -> int | None:
        """Return the id of the centre's counter called ``name``, or of its unnamed counter with
        ``number`` (given, or the number in the name, as in "Skranke 4"); created if missing.
        None for no counter (empty name, no number)."""
        asked = ("counter", name, str(number))
        if asked in self._answers:
            return self._answers[asked]
        name = _checked_name(name, column, Counter._meta.get_field("name").max_length or 60)
        numbers_in_name = _NUMBER.findall(name)
        if number is None and len(numbers_in_name) == 1:
            number = int(numbers_in_name[0])
        wanted = number
        pk: int | None = None

        def find() -> int | None:
            found = self._counters.get(_key(name)) if name else None
            if found is None and wanted is not None:
                found = self._unnamed_counters.get(wanted)
            return found

        def create() -> int:
            chosen = wanted
            if chosen is None or chosen < 1 or chosen in self._counter_numbers:
                chosen = max(self._counter_numbers, default=0) + 1
            if chosen > LARGEST_COUNTER_NUMBER:
                raise BadValue(column, _("the centre has no free counter number left."))
            counter = Counter.objects.create(
                location=self.location, number=chosen, name=name, active=False
            )
            self._counter_numbers.add(chosen)
            if name:
                self._counters[_key(name)] = counter.pk
            else:
                self._unnamed_counters[chosen] = counter.pk
            self.created["counters"].append(f"{name} ({chosen})" if name else str(chosen))
            return counter.pk

        if name or number is not None:
            pk = self._found_or_created(find, create, column)
        self._answers[asked] = pk
        return pk

    def team(self, name: str, column: str, kind: str = "") -> int | None:
        """Return the id of the team called ``name``, created (of ``kind``, front office unless
        told) if missing; None for no name."""
        asked = ("team", name, kind)
        if asked in self._answers:
            return self._answers[asked]
        name = _checked_name(name, column, Team._meta.get_field("name").max_length or 100)
        pk: int | None = None

        def create() -> int:
            team = Team.objects.create(name=name, kind=kind or TeamKind.FRONT)
            self._teams[_key(name)] = team.pk
            self.created["teams"].append(name)
            return team.pk

        if name:
            pk = self._found_or_created(lambda: self._teams.get(_key(name)), create, column)
        self._answers[asked] = pk
        return pk

    def service(self, slug: str) -> int | None:
        """Return the id of the service with the short name ``slug``, or None: a history's
        services are never created, since a service is what citizens are offered."""
        return self._services.get(slug) if slug else None


def _valid_prefix(candidate: str) -> bool:
    return 1 <= len(candidate) <= 3 and all(letter in PREFIX_LETTERS for letter in candidate)
