"""Skranke: queues, appointments, contacts and statistics for Danish citizen service centres."""

__version__ = "0.1.0"
