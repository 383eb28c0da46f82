"""The signed-in account's own login attempts (L11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auth.viewer import Anonymous, UserViewer
from models.sessions import LoginAttempt
from resolvers.errors import bad_input, forbidden, unauthenticated

if TYPE_CHECKING:
    from schema.context import Context

MAX_HISTORY = 100


async def login_history(ctx: Context, first: int) -> list[LoginAttempt]:
    """The account's last `first` (1 to 100) attempts, newest first. Patients and API clients
    have no account: FORBIDDEN; anonymous callers: UNAUTHENTICATED."""
    viewer = ctx.viewer
    if isinstance(viewer, Anonymous):
        raise unauthenticated()
    if not isinstance(viewer, UserViewer):
        raise forbidden("Only practitioner and service-desk accounts have a login history.")
    if not 1 <= first <= MAX_HISTORY:
        raise bad_input("first", f"must be between 1 and {MAX_HISTORY}")
    return await LoginAttempt.filter(user_id=viewer.user.id).order_by("-at", "-id").limit(first)
