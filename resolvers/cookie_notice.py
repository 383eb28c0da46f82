"""The cookie notice (C1, C2): shown again unless the browser and, signed in, the account have
both acknowledged it in the last 30 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from auth.viewer import UserViewer
from models.users import User
from resolvers import signed_cookies
from resolvers.portal import FROM_COOKIE, FROM_LIFETIME, REMEMBERED_COOKIE

if TYPE_CHECKING:
    from schema.context import Context
    from settings import Settings

ACK_COOKIE = "studygate_cookie_ack"
VALID_FOR = timedelta(days=30)


@dataclass(frozen=True)
class CookieNoticeState:
    due: bool
    text: str
    last_acknowledged_at: datetime | None


def notice_text(settings: Settings) -> str:
    """STUDYGATE_COOKIE_NOTICE_TEXT, else our own, naming every cookie this server sets."""
    if settings.cookie_notice_text:
        return settings.cookie_notice_text
    return (
        "StudyGate sets only cookies that are strictly necessary for the service; none track "
        f"you or serve advertising. {settings.session_cookie_name}: your sign-in session; it "
        f"ends when you sign out or the session expires. {REMEMBERED_COOKIE}: the country "
        "portal you asked us to remember, kept for one year or until you clear it. "
        f"{FROM_COOKIE}: the portal you came from, so that you can go back, kept for "
        f"{int(FROM_LIFETIME.total_seconds() // 3600)} hour. {ACK_COOKIE}: when you acknowledged "
        "this notice, kept for one year; we ask again after 30 days."
    )


def _browser_acknowledged_at(ctx: Context) -> datetime | None:
    stamp = signed_cookies.read_signed(ctx, ACK_COOKIE)
    if not stamp or not stamp.isdigit() or len(stamp) > 12:
        return None
    return datetime.fromtimestamp(int(stamp), tz=timezone.utc)


def _account(ctx: Context) -> User | None:
    return ctx.viewer.user if isinstance(ctx.viewer, UserViewer) else None


def _recent(ctx: Context, at: datetime | None) -> bool:
    # "In the last 30 days": exactly 30 days after the acknowledgement it is due again.
    return at is not None and ctx.now - at < VALID_FOR


def cookie_notice(ctx: Context) -> CookieNoticeState:
    """C1: due unless this browser and, signed in, this account acknowledged recently."""
    browser_at = _browser_acknowledged_at(ctx)
    account = _account(ctx)
    account_at = account.cookie_notice_acknowledged_at if account else None
    due = not _recent(ctx, browser_at) or (account is not None and not _recent(ctx, account_at))
    known = [at for at in (browser_at, account_at) if at is not None]
    return CookieNoticeState(due, notice_text(ctx.settings), max(known, default=None))


async def acknowledge_cookie_notice(ctx: Context) -> CookieNoticeState:
    """C2: records the acknowledgement in a signed cookie and, signed in, on the account."""
    now = ctx.now.replace(microsecond=0)  # the cookie keeps whole seconds; so does the account
    account = _account(ctx)
    if account is not None:
        await User.filter(id=account.id).update(cookie_notice_acknowledged_at=now)
        account.cookie_notice_acknowledged_at = now
    signed_cookies.set_signed(ctx, ACK_COOKIE, str(int(now.timestamp())), signed_cookies.ONE_YEAR)
    return CookieNoticeState(False, notice_text(ctx.settings), now)
