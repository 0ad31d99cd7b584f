"""Two imports of the same file into one centre at the same time count each visit once, and
neither fails (PostgreSQL, where imports of one centre can overlap)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from skranke.catalogue.models import Queue
from skranke.history.names import CentreCatalogue
from skranke.history.summary import ImportSummary
from skranke.history.tests.files import frontdesk_file, frontdesk_row
from skranke.history.tickets import import_tickets
from skranke.organisation.models import Location
from skranke.queue.models import VisitFact
from skranke.testing.waiting import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 30.0


def _waiting_on_a_lock(backend_pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", [backend_pid]
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _overlapping_imports(path: Path, location: Location) -> dict[str, ImportSummary]:
    """Run two imports of ``path`` into ``location``, the second while the first has written
    everything and not yet committed; returns their summaries.

    The interleaving is forced, not hoped for: the first import holds its transaction open (in
    its last progress report, after every batch is written) until PostgreSQL shows the second
    one waiting on a lock the first holds.
    """
    first_written = threading.Event()
    second_backend: list[int] = []
    results: dict[str, ImportSummary] = {}
    errors: dict[str, BaseException] = {}

    def hold_until_the_second_waits(done: int, size: int) -> None:
        if done < size:
            return
        first_written.set()
        wait_for(
            lambda: bool(second_backend) and _waiting_on_a_lock(second_backend[0]),
            WAIT_SECONDS,
            "the second import waits for the first",
        )

    def run(name: str, **options: Any) -> None:
        try:
            if name == "second":
                assert first_written.wait(WAIT_SECONDS)
                connection.ensure_connection()
                second_backend.append(connection.connection.info.backend_pid)
            results[name] = import_tickets(path, location, "frontdesk", batch_size=5, **options)
        except BaseException as error:
            errors[name] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=run, args=("first",), kwargs={"progress": hold_until_the_second_waits}
        ),
        threading.Thread(target=run, args=("second",)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS * 2)
    assert errors == {}
    return results


def _rows() -> list[list[str]]:
    return [frontdesk_row(str(number), f"12-03-2025 09:{number:02d}") for number in range(12)]


def test_an_import_overlapping_another_of_the_same_file_adds_nothing(tmp_path: Path) -> None:
    """The second import's INSERT waits for the first transaction's keys, then leaves every row
    out. Without ON CONFLICT DO NOTHING in the writer, it failed with a unique violation on
    import_key once the first committed."""
    location = Location.objects.create(name="Samtidig", slug="samtidig")
    # The names exist already, so the only thing the two imports share is the visits.
    catalogue = CentreCatalogue(location)
    catalogue.queue("Pas og kørekort", "QueueName")
    catalogue.subject_area("Pas", "QueueCategoryName")
    catalogue.counter("Skranke 1", "CounterName")

    results = _overlapping_imports(frontdesk_file(tmp_path, _rows()), location)

    assert (results["first"].imported, results["first"].already_there) == (12, 0)
    assert (results["second"].imported, results["second"].already_there) == (0, 12)
    assert VisitFact.objects.filter(location=location).count() == 12


def test_overlapping_imports_that_create_the_same_names_share_them(tmp_path: Path) -> None:
    """The second import creates the queue, subject area and counter the first created and has
    not committed: its INSERT waits, is refused by the unique constraint once the first commits,
    and it takes the first one's. Without the savepoint and the second look, it failed with a
    unique violation on the queue's prefix."""
    location = Location.objects.create(name="Samtidig nyt", slug="samtidig-nyt")

    results = _overlapping_imports(frontdesk_file(tmp_path, _rows()), location)

    assert results["first"].created["queues"] == ["Pas og kørekort (P)"]
    assert results["second"].created == {
        "queues": [],
        "subject_areas": [],
        "counters": [],
        "teams": [],
    }
    assert results["first"].imported + results["second"].imported == 12
    assert Queue.objects.filter(location=location).count() == 1
    assert VisitFact.objects.filter(location=location).count() == 12
