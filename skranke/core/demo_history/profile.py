"""The shape of the demo's history, after the seeds' centres (Hvidovre's and Randers' reports).

Monday is the busiest day and Friday a short one; arrivals peak at lunchtime and just after the
doors open; passports and driving licences have their season before the summer holidays, tax
questions theirs around the annual and preliminary statements, moves after the summer; July and
December are quiet; each year is busier than the last. Plain numbers and pure functions: the
simulation (simulate.py) draws from them, nothing here reads the database.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

# Visits grow by this factor a year, continuously, around TREND_EPOCH (any date works).
GROWTH_PER_YEAR = 1.07
TREND_EPOCH = dt.date(2025, 1, 1)
# Day-to-day spread of the volume beyond the arrivals' own randomness (log-normal sigma).
DAY_NOISE = 0.12
# The first opening day after a public holiday on a weekday catches up on it.
AFTER_HOLIDAY = 1.15
# Elections put postal votes (brevstemmer) at the counters in the weeks before them.
ELECTION_DAYS = (dt.date(2024, 6, 9), dt.date(2025, 11, 18))
ELECTION_WEEKS = 5
ELECTION_FACTOR = 12.0


@dataclass(frozen=True)
class CentreShape:
    """How many citizens come to one centre, and when."""

    # Visits on a reference day: a Tuesday of an average month at TREND_EPOCH.
    reference_day: float
    weekday: dict[int, float]
    # Local clock hour -> relative arrival intensity; the first minutes after opening get
    # OPENING_RUSH on top (citizens waiting at the door).
    hour: dict[int, float]
    # Share of a bookable service's visits that come with an appointment.
    appointment_share: float
    # Walk-in numbers drawn on a phone, and issued by a floor guide.
    mobile_share: float
    floor_guide_share: float
    # Share of visits in a queue transferred to the back office during their service.
    back_office_transfers: dict[str, float]


OPENING_RUSH_MINUTES = 20
OPENING_RUSH = 1.6

CENTRES = {
    "raadhuset": CentreShape(
        reference_day=115.0,
        weekday={0: 1.38, 1: 1.0, 2: 0.92, 3: 1.2, 4: 0.62},
        hour={9: 0.8, 10: 0.95, 11: 1.15, 12: 1.35, 13: 1.15, 14: 0.9, 15: 0.8, 16: 0.75, 17: 0.6},
        appointment_share=0.3,
        mobile_share=0.08,
        floor_guide_share=0.05,
        back_office_transfers={"Y": 0.04, "B": 0.01},
    ),
    "biblioteket": CentreShape(
        reference_day=26.0,
        weekday={1: 1.0, 3: 1.2, 5: 0.9},
        hour={10: 1.0, 11: 1.15, 12: 1.3, 13: 1.1, 14: 0.9, 15: 0.95, 16: 0.85},
        appointment_share=0.15,
        mobile_share=0.05,
        floor_guide_share=0.0,
        back_office_transfers={},
    ),
}

# Share of a centre's visits per subject area, and the area's month factors (January first).
AREA_SHARE = {
    "pas": 0.22,
    "koerekort": 0.14,
    "sygesikring": 0.09,
    "folkeregister": 0.12,
    "mitid": 0.09,
    "digital-post": 0.04,
    "valg": 0.005,
    "information": 0.06,
    "skat": 0.08,
    "pension": 0.045,
    "boligstoette": 0.045,
    "opkraevning": 0.05,
}
_DRIVING_AND_TRAVEL = (0.85, 0.9, 1.0, 1.3, 1.5, 1.4, 0.72, 0.9, 0.85, 0.85, 0.8, 0.68)
_EVERYDAY = (1.1, 1.0, 1.0, 1.0, 1.0, 0.95, 0.7, 1.12, 1.05, 1.0, 0.98, 0.78)
_TAX = (1.15, 1.0, 1.3, 1.05, 0.95, 0.9, 0.65, 0.9, 0.95, 1.0, 1.25, 0.8)
AREA_MONTH = {
    "pas": _DRIVING_AND_TRAVEL,
    "koerekort": _DRIVING_AND_TRAVEL,
    "skat": _TAX,
    "opkraevning": _TAX,
}
DEFAULT_MONTH = _EVERYDAY

# Relative frequency of each service inside its subject area; unnamed services count 1.
SERVICE_WEIGHT = {
    "pas-voksen": 5.0,
    "pas-barn": 2.5,
    "noedpas": 0.3,
    "pas-udlevering": 4.0,
    "koerekort-fornyelse": 3.0,
    "koerekort-erhvervelse": 2.0,
    "koerekort-ombytning": 0.6,
    "koerekort-duplikat": 0.8,
    "koerekort-international": 0.5,
    "koerekort-udlevering": 2.5,
    "sundhedskort": 3.0,
    "laegevalg": 1.5,
    "eu-sygesikringskort": 1.0,
    "flytning": 4.0,
    "navneaendring": 0.6,
    "bopaelsattest": 1.0,
    "indrejse": 1.5,
    "mitid-udstedelse": 3.0,
    "mitid-spaerring": 2.0,
    "mitid-kodeviser": 0.8,
    "vejledning": 3.0,
    "selvbetjening": 1.5,
}


@dataclass(frozen=True)
class Outcomes:
    """How visits about one subject area end at the counter: shares of solved on the spot,
    passed to back office and referred (to ``referred_to``); the rest is not solved."""

    resolved: float
    back_office: float
    referred: float
    referred_to: str


DEFAULT_OUTCOMES = Outcomes(0.88, 0.05, 0.04, "other")
AREA_OUTCOMES = {
    "pas": Outcomes(0.93, 0.03, 0.02, "police"),
    "koerekort": Outcomes(0.92, 0.03, 0.03, "police"),
    "skat": Outcomes(0.68, 0.05, 0.24, "skat"),
    "pension": Outcomes(0.62, 0.1, 0.25, "udbetaling_danmark"),
    "boligstoette": Outcomes(0.6, 0.15, 0.22, "udbetaling_danmark"),
    "opkraevning": Outcomes(0.8, 0.12, 0.03, "other"),
}
# After a transfer, the back office ends the visit so.
BACK_OFFICE_OUTCOMES = Outcomes(0.6, 0.32, 0.08, "udbetaling_danmark")

# Service times: log-normal around the service's typical duration (Service.typical_duration).
SERVICE_TIME_SPREAD = 0.55
MIN_SERVICE_SECONDS = 60
# Citizens: the chance of not showing up when called grows with the wait; some give up first
# (patience drawn per citizen), and of those some cancel on their phone, the rest just leave.
NO_SHOW_BASE = 0.015
NO_SHOW_PER_WAIT_MINUTE = 0.0015
APPOINTMENT_NO_SHOW = 0.01
MEAN_PATIENCE_MINUTES = 150.0
CANCELS_WHEN_GIVING_UP = 0.45
SLOW_TO_COME = 0.06
OTHER_SUBJECT_AREA = 0.04

# Staffing: counters planned per half hour for this utilisation, from an expectation that follows
# the season only partly, so the busy season shows in the waits as the seeds' reports describe.
PLANNED_UTILISATION = 0.82
PLANNING_SEASON_RESPONSE = 0.7
SLOT_MINUTES = 30
# The team lead looks at the floor this often, and opens one more counter for a queue (someone
# in that day but at no counter, or back from one) when its longest wait has passed the limit.
FLOOR_CHECK_MINUTES = 10
REINFORCE_AFTER = dt.timedelta(minutes=25)
REINFORCEMENT = dt.timedelta(minutes=75)
# Counters keep calling after closing until the line is empty, for at most this long.
SERVE_AFTER_CLOSING = dt.timedelta(minutes=45)


def trend(day: dt.date) -> float:
    """Return the year-on-year growth factor of ``day`` relative to TREND_EPOCH."""
    return float(GROWTH_PER_YEAR ** ((day - TREND_EPOCH).days / 365.25))


def month_factor(area_slug: str, month: int) -> float:
    return AREA_MONTH.get(area_slug, DEFAULT_MONTH)[month - 1]


def election_factor(area_slug: str, day: dt.date) -> float:
    if area_slug != "valg":
        return 1.0
    for election in ELECTION_DAYS:
        if dt.timedelta(0) <= election - day <= dt.timedelta(weeks=ELECTION_WEEKS):
            return ELECTION_FACTOR
    return 1.0


def planned_month_factor(actual: float) -> float:
    """Return the month factor a planner staffs for when the true one is ``actual``."""
    return 1.0 + PLANNING_SEASON_RESPONSE * (actual - 1.0)


def absence_share(day: dt.date) -> float:
    """Return the share of staff away on ``day``: holidays in July, at Christmas and in the
    school holidays of February and October, and sickness all year."""
    week = day.isocalendar().week
    if day.month == 7:
        return 0.3
    if (day.month == 12 and day.day >= 22) or (day.month == 1 and day.day <= 2):
        return 0.25
    if week in (7, 8, 42) or (day.month == 8 and day.day <= 7):
        return 0.12
    return 0.05


def service_seconds(typical_minutes: int, draw: float) -> int:
    """Return a service time around ``typical_minutes`` for a standard normal ``draw``."""
    sigma = SERVICE_TIME_SPREAD
    mean = max(1, typical_minutes) * 60.0
    # The log-normal's mean is exp(mu + sigma**2 / 2); choose mu so the mean is ``mean``.
    mu = math.log(mean) - sigma * sigma / 2
    return max(MIN_SERVICE_SECONDS, min(int(math.exp(mu + sigma * draw)), int(mean * 4)))
