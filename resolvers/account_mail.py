"""The e-mails of registration and password reset (L9, L10), and sending one in the background."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from models.users import User
from resolvers.outbound import DeliveryError

if TYPE_CHECKING:
    from schema.context import Context

log = logging.getLogger("studygate.account_mail")
# Keeps background sends referenced until they finish (asyncio holds only weak references).
_pending: set[asyncio.Task[None]] = set()


def link(ctx: Context, page: str, token: str) -> str:
    """A link to a page of the served environment's portal carrying a single-use token."""
    return f"{ctx.environment.portal_url.rstrip('/')}/{page}?token={token}"


def verification_mail(ctx: Context, user: User, token: str, hours: int) -> tuple[str, str]:
    return "Confirm your e-mail address for StudyGate", (
        f"Hello {user.display_name},\n\n"
        "Please confirm your e-mail address by opening this link:\n\n"
        f"{link(ctx, 'verify-email', token)}\n\n"
        f"The link works once and for {hours} hours. After that, the service desk reviews your\n"
        "registration and we let you know when your account is active.\n\n"
        "If you did not register for StudyGate, ignore this message.\n"
    )


def reset_mail(ctx: Context, user: User, token: str, minutes: int) -> tuple[str, str]:
    return "Reset your StudyGate password", (
        f"Hello {user.display_name},\n\n"
        "Someone (hopefully you) asked to reset the password of your StudyGate account.\n"
        "Choose a new password by opening this link:\n\n"
        f"{link(ctx, 'reset-password', token)}\n\n"
        f"The link works once and for {minutes} minutes. Resetting the password signs you\n"
        "out everywhere. If you did not ask for this, ignore this message.\n"
    )


def approved_mail(ctx: Context, user: User) -> tuple[str, str]:
    return "Your StudyGate account is active", (
        f"Hello {user.display_name},\n\n"
        "The service desk has approved your registration: you can now sign in at\n"
        f"{ctx.environment.portal_url}\nwith your username {user.username}.\n"
    )


def send_later(ctx: Context, to: str, subject: str, body: str) -> None:
    """Send after the response: its time and a delivery failure then reveal nothing (L10)."""

    async def deliver() -> None:
        try:
            await ctx.outbound.mail.send(to, subject, body)
        except DeliveryError:
            log.warning("account mail %r to %s was not delivered", subject, to.split("@")[-1])

    task = asyncio.get_running_loop().create_task(deliver())
    _pending.add(task)
    task.add_done_callback(_pending.discard)
