"""The prefixes, short names and counter numbers chosen for what an import creates."""

from __future__ import annotations

import itertools

import pytest

from skranke.catalogue.models import Queue, SubjectArea, queue_prefix_validator
from skranke.history.names import CentreCatalogue, prefix_candidates, slug_candidates
from skranke.history.tests.files import make_location
from skranke.organisation.models import Counter


def test_prefixes_come_from_the_name_first() -> None:
    assert list(itertools.islice(prefix_candidates("Pas og kørekort"), 5)) == [
        "P",
        "POK",
        "PA",
        "PAS",
        "PA",
    ]
    # Accents come off; Æ, Ø and Å stay; digits and signs are left out.
    assert next(prefix_candidates("Økonomi")) == "Ø"
    assert list(itertools.islice(prefix_candidates("é-ID 2"), 3)) == ["E", "EI", "EID"]


def test_every_prefix_candidate_is_valid_and_they_run_out_only_after_all() -> None:
    candidates = set(prefix_candidates("123"))
    assert len(candidates) == 29 + 29**2 + 29**3
    for candidate in itertools.islice(prefix_candidates("Pas"), 200):
        queue_prefix_validator(candidate)


def test_short_names_spell_out_danish_letters_and_count_on() -> None:
    assert list(itertools.islice(slug_candidates("Kørekort & Pas", 50), 3)) == [
        "koerekort-pas",
        "koerekort-pas-2",
        "koerekort-pas-3",
    ]
    assert next(slug_candidates("!!!", 50)) == "import"
    assert all(len(slug) <= 12 for slug in itertools.islice(slug_candidates("x" * 40, 12), 20))


@pytest.mark.django_db
def test_taken_prefixes_and_short_names_are_passed_over() -> None:
    location = make_location()
    for prefix in ("P", "PA", "PAS"):
        Queue.objects.create(location=location, prefix=prefix, name=f"Queue {prefix}")
    SubjectArea.objects.create(name="Pas (gammel)", slug="pas")
    catalogue = CentreCatalogue(location)

    queue = Queue.objects.get(pk=catalogue.queue("Pas", "QueueName"))
    area = SubjectArea.objects.get(pk=catalogue.subject_area("Pas", "QueueCategoryName"))

    # "P", "PA" and "PAS" are taken; the first letter with a later one is next.
    assert queue.prefix == "PS"
    assert area.slug == "pas-2"


@pytest.mark.django_db
def test_counters_by_name_or_by_the_number_in_it() -> None:
    location = make_location()
    named = Counter.objects.create(location=location, number=1, name="Pas-skranken")
    unnamed = Counter.objects.create(location=location, number=3)
    catalogue = CentreCatalogue(location)

    assert catalogue.counter("pas-skranken", "CounterName") == named.pk
    assert catalogue.counter("Skranke 3", "CounterName") == unnamed.pk
    assert catalogue.counter("3", "CounterName") == unnamed.pk
    assert catalogue.counter("", "CounterName") is None
    # Counter 1 has another name: "Skranke 1" is a counter of its own, with the next number.
    created = Counter.objects.get(pk=catalogue.counter("Skranke 1", "CounterName"))
    assert (created.number, created.name, created.active) == (4, "Skranke 1", False)
    assert catalogue.created["counters"] == ["Skranke 1 (4)"]
