"""G2/G4 month arithmetic: the database bound agrees with the rule over four years."""

from datetime import datetime, timedelta, timezone

from auth import standing

UTC = timezone.utc


def test_G2_confirmed_on_30_november_is_due_on_28_february():
    confirmed = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert standing.due_at(confirmed) == datetime(2027, 2, 28, tzinfo=UTC)
    assert not standing.is_due(confirmed, datetime(2027, 2, 27, 23, 59, tzinfo=UTC))
    assert standing.is_due(confirmed, datetime(2027, 2, 28, 0, 0, tzinfo=UTC))


def test_G2_in_a_leap_year_due_on_29_february():
    confirmed = datetime(2027, 11, 30, 9, 0, tzinfo=UTC)
    assert standing.due_at(confirmed) == datetime(2028, 2, 29, tzinfo=UTC)
    assert not standing.is_due(confirmed, datetime(2028, 2, 28, 23, 0, tzinfo=UTC))


def test_G4_lapsed_30_days_after_falling_due():
    confirmed = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    due = datetime(2026, 4, 15, tzinfo=UTC)
    assert not standing.is_lapsed(confirmed, due + timedelta(days=30) - timedelta(seconds=1))
    assert standing.is_lapsed(confirmed, due + timedelta(days=30))


def test_database_bounds_agree_with_the_rule_for_every_confirmation_time():
    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    nows = [start + timedelta(days=d, hours=h) for d in range(0, 4 * 366, 3) for h in (0, 13)][::7]
    confirmations = [start - timedelta(days=200) + timedelta(hours=11 * i) for i in range(4000)]
    for now in nows:
        lapse, due = standing.lapse_bound(now), standing.due_bound(now)
        for c in confirmations:
            assert (c < lapse) == standing.is_lapsed(c, now), (c, now)
            assert (c < due) == standing.is_due(c, now), (c, now)
