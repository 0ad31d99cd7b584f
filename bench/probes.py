"""What the fan-out benchmark reads of the servers it measures: a process's threads and memory,
the database sessions they hold, and percentiles of the delivery times."""

from __future__ import annotations

from collections.abc import Sequence


def process_status(pid: int) -> dict[str, int]:
    """Return the threads and resident memory (KiB) of process ``pid`` from /proc."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _colon, rest = line.partition(":")
            if name in ("Threads", "VmRSS"):
                values[name] = int(rest.split()[0])
    return {"threads": values.get("Threads", 0), "rss_kib": values.get("VmRSS", 0)}


def database_sessions(database_url: str) -> dict[str, int]:
    """Return the sessions connected to the benchmark database by state (and the hubs')."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT coalesce(application_name, ''), coalesce(state, ''), count(*) "
            "FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() GROUP BY 1, 2"
        ).fetchall()
    sessions: dict[str, int] = {"total": 0, "event_hub": 0, "idle": 0}
    for application, state, count in rows:
        sessions["total"] += count
        if application == "skranke-event-hub":
            sessions["event_hub"] += count
        elif state == "idle":
            sessions["idle"] += count
    return sessions


def percentile(values: Sequence[float], share: float) -> float:
    """Return the percentile by linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * share
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
