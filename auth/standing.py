"""Group membership standing (G2, G4): due 3 calendar months after confirmation, lapsed 30 days later.

Due dates are calendar days in UTC: a membership confirmed at any time on 30 November is due
from 00:00 UTC on 28 February (29 in a leap year). Working in whole days keeps the rule
monotone, so the database can filter on `confirmed_at` with one bound.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, timezone

CONFIRM_EVERY_MONTHS = 3
GRACE_DAYS = 30


def add_months(day: date, months: int) -> date:
    """Calendar-month arithmetic, clamped to the month's end: 30 Nov + 3 months = 28/29 Feb."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def due_at(confirmed_at: datetime) -> datetime:
    """When a membership confirmed at `confirmed_at` must be confirmed again (G2)."""
    day = confirmed_at.astimezone(timezone.utc).date()
    return _midnight(add_months(day, CONFIRM_EVERY_MONTHS))


def is_due(confirmed_at: datetime, now: datetime) -> bool:
    return due_at(confirmed_at) <= now


def is_lapsed(confirmed_at: datetime, now: datetime) -> bool:
    """Lapsed 30 days after falling due, until confirmed (G4)."""
    return due_at(confirmed_at) + timedelta(days=GRACE_DAYS) <= now


def _confirmed_before(reference: date) -> datetime:
    """Exclusive bound: `due_at(c)` falls on or before `reference` exactly when `c < bound`."""
    last = add_months(reference, -CONFIRM_EVERY_MONTHS)
    if reference.day == calendar.monthrange(reference.year, reference.month)[1]:
        # 29 and 30 Nov are both due on 28 Feb: the whole end of the earlier month counts.
        last = last.replace(day=calendar.monthrange(last.year, last.month)[1])
    return _midnight(last + timedelta(days=1))


def due_bound(now: datetime) -> datetime:
    """Memberships with `confirmed_at < due_bound(now)` are due for confirmation (G2)."""
    return _confirmed_before(now.astimezone(timezone.utc).date())


def lapse_bound(now: datetime) -> datetime:
    """Memberships with `confirmed_at < lapse_bound(now)` are lapsed (G4)."""
    return _confirmed_before((now.astimezone(timezone.utc) - timedelta(days=GRACE_DAYS)).date())
