"""A Belgian group practice, outsiders and a Dutch neighbour, for the G6/G7 tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from models.environments import Environment
from models.groups import Group, GroupChange, GroupMembership
from models.users import AccountRole, AccountStatus, User
from tests import factories as f
from tests.groups_gql import ADD, CREATE, LEAVE, REMOVE, REPORT, SET_ADMIN, SET_PRIMARY, gid, uid

CONFIRMED = datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc)


@dataclass
class World:
    be: Environment
    nl: Environment
    group: Group  # Praktijk Zuid: Zoe (primary contact), Yves (administrator), Xavier (member)
    dutch_group: Group
    people: dict[str, User]

    def __getitem__(self, name: str) -> User:
        return self.people[name]


async def build() -> World:
    be, nl = await f.environment("BE"), await f.environment("NL", eid=False)
    people = {n: await f.user(be, f"{n.lower()}@example.be", f"Dr. {n}")
              for n in ("Zoe", "Yves", "Xavier", "Eve", "Will")}
    people["Pending"] = await f.user(be, "pending@example.be",
                                     status=AccountStatus.PENDING_APPROVAL)
    people["Disabled"] = await f.user(be, "disabled@example.be", status=AccountStatus.DISABLED)
    people["Desk"] = await f.user(be, "desk@example.be", role=AccountRole.SERVICE_DESK)
    people["Nina"] = await f.user(nl, "nina@example.nl", "Dr. Nina")
    people["Noor"] = await f.user(nl, "noor@example.nl", "Dr. Noor")
    group = await f.group(be, "Praktijk Zuid", [(people["Zoe"], True), (people["Yves"], True),
                                                (people["Xavier"], False)], confirmed_at=CONFIRMED)
    dutch = await f.group(nl, "Centrum", [(people["Nina"], True), (people["Noor"], False)])
    return World(be, nl, group, dutch, people)


def mutations(w: World) -> dict[str, tuple[str, dict]]:
    """Every group mutation aimed at Praktijk Zuid, with harmless-looking arguments."""
    g = gid(w.group)
    return {
        "addGroupMember": (ADD, {"g": g, "u": "will@example.be"}),
        "removeGroupMember": (REMOVE, {"g": g, "u": uid(w["Xavier"])}),
        "setGroupAdministrator": (SET_ADMIN, {"g": g, "u": uid(w["Xavier"]), "a": True}),
        "setGroupPrimaryContact": (SET_PRIMARY, {"g": g, "u": uid(w["Xavier"])}),
        "leaveGroup": (LEAVE, {"g": g}),
        "reportGroupCompositionIssue": (REPORT, {"g": g, "m": "Wrong."}),
        "createGroup": (CREATE, {"name": "Praktijk Oost"}),
    }


ADMIN_ONLY = ["addGroupMember", "removeGroupMember", "setGroupAdministrator",
              "setGroupPrimaryContact"]
ALL = ADMIN_ONLY + ["leaveGroup", "reportGroupCompositionIssue"]


async def snapshot(group: Group) -> tuple:
    """Everything a change could touch: the group row, memberships, the change log."""
    g = await Group.get(id=group.id)
    rows = await GroupMembership.filter(group_id=group.id).order_by("user_id").values_list(
        "user_id", "is_administrator", "confirmed_at")
    changes = await GroupChange.filter(group_id=group.id).count()
    return g.name, g.primary_contact_id, rows, changes
