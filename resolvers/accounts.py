"""Account administration by the service desk (L2, L3, L8, L9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise.expressions import Q

from auth.sessions import end_user_sessions
from auth.viewer import Anonymous, UserViewer
from models.users import AccountStatus, User
from resolvers.account_mail import approved_mail, send_later
from resolvers.errors import ApiError, bad_input, forbidden, not_found, unauthenticated
from resolvers.login import username_key

if TYPE_CHECKING:
    from schema.context import Context


def require_service_desk(ctx: Context) -> UserViewer:
    """The signed-in service desk; UNAUTHENTICATED when nobody is, FORBIDDEN for anyone else."""
    viewer = ctx.viewer
    if isinstance(viewer, Anonymous):
        raise unauthenticated()
    if not isinstance(viewer, UserViewer) or not viewer.is_service_desk:
        raise forbidden("Only the service desk may do this.")
    return viewer


async def _account(ctx: Context, user_id: int) -> User:
    user = await User.filter(id=user_id, environment_id=ctx.environment.id).first()
    if user is None:
        raise not_found("No such user.")
    return user


async def disable_user(ctx: Context, user_id: int) -> User:
    """DISABLED, and every session of the account ends at once (L2, L8)."""
    desk = require_service_desk(ctx)
    user = await _account(ctx, user_id)
    if user.id == desk.user.id:
        raise ApiError("CONFLICT", "You cannot disable your own account.")
    user.status = AccountStatus.DISABLED
    await user.save(update_fields=["status"])
    await end_user_sessions(user.id, ctx.now)
    return user


async def enable_user(ctx: Context, user_id: int) -> User:
    require_service_desk(ctx)
    user = await _account(ctx, user_id)
    if user.status != AccountStatus.DISABLED:
        raise ApiError("CONFLICT", "Only a disabled account can be enabled.")
    user.status = AccountStatus.ACTIVE
    await user.save(update_fields=["status"])
    return user


async def approve_registration(ctx: Context, user_id: int) -> User:
    """PENDING_APPROVAL to ACTIVE (L9), and an e-mail telling the user; else CONFLICT."""
    require_service_desk(ctx)
    user = await _account(ctx, user_id)
    approved = await User.filter(id=user.id, status=AccountStatus.PENDING_APPROVAL).update(
        status=AccountStatus.ACTIVE
    )  # conditional: of two concurrent approvals, one wins and one gets CONFLICT
    if not approved:
        raise ApiError("CONFLICT", "Only a registration awaiting approval can be approved.")
    user.status = AccountStatus.ACTIVE
    send_later(ctx, user.email or user.username, *approved_mail(ctx, user))
    return user


async def unlock_user(ctx: Context, user_id: int) -> User:
    """Lifts the account's L3 lockout and forgets its failed logins, in any account state."""
    require_service_desk(ctx)
    user = await _account(ctx, user_id)
    await ctx.throttle.clear(username_key(user.username_key))
    return user


async def registrations_pending_approval(ctx: Context) -> list[User]:
    """The served environment's PENDING_APPROVAL accounts, oldest registration first (L9)."""
    require_service_desk(ctx)
    return await User.filter(
        environment_id=ctx.environment.id, status=AccountStatus.PENDING_APPROVAL
    ).order_by("created_at", "id")


MAX_USERS_PAGE, MAX_SEARCH = 100, 254


async def search_users(ctx: Context, search: str, first: int) -> list[User]:
    """Accounts of the served environment whose username or display name contains `search`
    (case-insensitive), by display name; `first` is 1 to 100."""
    require_service_desk(ctx)
    if not 1 <= first <= MAX_USERS_PAGE:
        raise bad_input("first", f"must be between 1 and {MAX_USERS_PAGE}")
    search = search.strip()
    if len(search) > MAX_SEARCH:
        raise bad_input("search", f"must be at most {MAX_SEARCH} characters")
    query = User.filter(environment_id=ctx.environment.id)
    if search:
        query = query.filter(Q(username__icontains=search) | Q(display_name__icontains=search))
    return await query.order_by("display_name", "id").limit(first)
