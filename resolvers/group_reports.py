"""Reporting a wrong group composition (G5): one e-mail to the administrators and the service desk.

Each report is kept as a GroupChange (action ISSUE_REPORTED): the audit trail of the group,
and the count behind the limit of 5 reports per member in any 24 hours.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from models.groups import Group, GroupChange, GroupMembership
from models.users import User
from resolvers.errors import ApiError, bad_input, not_found
from resolvers.groups import find_group, in_display_order, require_practitioner
from resolvers.outbound import DeliveryError

if TYPE_CHECKING:
    from schema.context import Context

MAX_MESSAGE = 2000
REPORTS_PER_WINDOW = 5
REPORT_WINDOW = timedelta(hours=24)
REPORTED = "ISSUE_REPORTED"
DETAILS_LENGTH = 500  # GroupChange.details


async def _reserve(ctx: Context, user: User, group: Group, message: str) -> GroupChange:
    """Records the report, or RATE_LIMITED when the member made 5 in the last 24 hours."""
    async with in_transaction():
        # Lock the reporter's row so that concurrent reports of one member count one by one.
        await User.select_for_update().filter(id=user.id).only("id").first()
        recent = await GroupChange.filter(
            actor_id=user.id, action=REPORTED, at__gt=ctx.now - REPORT_WINDOW
        ).order_by("at").values_list("at", flat=True)
        if len(recent) >= REPORTS_PER_WINDOW:
            reset_at = recent[-REPORTS_PER_WINDOW] + REPORT_WINDOW
            raise ApiError(
                "RATE_LIMITED",
                f"At most {REPORTS_PER_WINDOW} reports in 24 hours; try again later.",
                resetAt=reset_at.isoformat(),
                retryAfterSeconds=math.ceil((reset_at - ctx.now).total_seconds()),
            )
        return await GroupChange.create(group_id=group.id, actor_id=user.id, action=REPORTED,
                                        at=ctx.now, details=message[:DETAILS_LENGTH])


def _recipients(ctx: Context, memberships: list[GroupMembership]) -> list[str]:
    """Every administrator with an e-mail address, then the service desk; each address once."""
    addresses = [m.user.email for m in memberships if m.is_administrator and m.user.email]
    addresses.append(ctx.settings.service_desk_email)
    unique: dict[str, str] = {}
    for address in addresses:
        unique.setdefault(address.strip().casefold(), address.strip())
    return list(unique.values())


def _body(ctx: Context, reporter: User, group: Group, memberships: list[GroupMembership],
          message: str) -> str:
    lines = [
        f"{reporter.display_name} ({reporter.username}) reports that the composition of the "
        f"group \"{group.name}\" (group {group.id}, environment {ctx.environment.code}) is wrong.",
        "",
        "Message:",
        message,
        "",
        f"Current composition ({len(memberships)} members):",
    ]
    for m in in_display_order(group, memberships):
        role = ("primary contact, administrator" if m.user_id == group.primary_contact_id
                else "administrator" if m.is_administrator else "member")
        lines.append(f"- {m.user.display_name} ({m.user.username}): {role}")
    lines += ["", f"Reported at {ctx.now.isoformat(timespec='seconds')}."]
    return "\n".join(lines)


async def report_composition_issue(ctx: Context, group_id: int, message: str) -> int:
    """G5: e-mails the report to the group's administrators and the service desk, over SMTP.

    Members only (others: NOT_FOUND). Returns the number of recipients. A report whose
    e-mail could not be sent does not count towards the limit.
    """
    reporter = require_practitioner(ctx).user
    group = await find_group(ctx, group_id)
    if group is None:
        raise not_found("No such group.")
    text = message.strip()
    if not 1 <= len(text) <= MAX_MESSAGE:
        raise bad_input("message", f"1 to {MAX_MESSAGE} characters")
    memberships = await GroupMembership.filter(group_id=group.id).select_related("user")
    record = await _reserve(ctx, reporter, group, text)
    recipients = _recipients(ctx, memberships)
    subject = f"Group composition reported: {' '.join(group.name.split())}"
    try:
        await ctx.outbound.mail.send(", ".join(recipients), subject,
                                     _body(ctx, reporter, group, memberships, text))
    except DeliveryError as exc:
        await record.delete()
        raise ApiError("INTERNAL", str(exc), reason="DELIVERY_FAILED") from exc
    return len(recipients)
