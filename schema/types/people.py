"""Accounts, patients, API clients and institutions as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from tortoise.expressions import Subquery

from auth.viewer import UserViewer
from models.groups import GroupMembership
from models.institutions import Institution as InstitutionModel
from models.users import AccountRole as AccountRoleModel
from models.users import AccountStatus as AccountStatusModel
from models.users import Authenticator as AuthenticatorModel
from models.users import Profession as ProfessionModel
from models.users import User as UserModel
from schema.context import Context, Info
from schema.ids import to_global_id
from schema.types.common import Node
from schema.types.environments import Environment

Profession = strawberry.enum(ProfessionModel, name="Profession")
AccountRole = strawberry.enum(AccountRoleModel, name="AccountRole")
AccountStatus = strawberry.enum(AccountStatusModel, name="AccountStatus")


@strawberry.type
class Authenticator:
    id: strawberry.ID
    label: str
    created_at: datetime
    last_used_at: datetime | None

    @staticmethod
    def from_model(a: AuthenticatorModel) -> "Authenticator":
        return Authenticator(
            id=strawberry.ID(to_global_id("Authenticator", a.id)),
            label=a.label,
            created_at=a.created_at,
            last_used_at=a.last_used_at,
        )


@strawberry.type(name="User")
class User(Node):
    id: strawberry.ID
    username: str
    display_name: str
    profession: Profession | None
    role: AccountRole
    status: AccountStatus
    eid_linked: bool
    model: strawberry.Private[UserModel]

    @staticmethod
    def from_model(user: UserModel) -> "User":
        return User(
            id=strawberry.ID(to_global_id("User", user.id)),
            username=user.username,
            display_name=user.display_name,
            profession=user.profession,
            role=user.role,
            status=user.status,
            eid_linked=user.eid_subject is not None,
            model=user,
        )

    @strawberry.field(description="Only to the user, the service desk and admins of a shared group.")
    async def email(self, info: Info) -> str | None:
        viewer = info.context.viewer
        if not isinstance(viewer, UserViewer):
            return None
        if viewer.user.id == self.model.id or viewer.is_service_desk:
            return self.model.email
        their_groups = Subquery(GroupMembership.filter(user_id=self.model.id).values("group_id"))
        shares_as_admin = await GroupMembership.filter(
            user_id=viewer.user.id, is_administrator=True, group_id__in=their_groups
        ).exists()
        return self.model.email if shares_as_admin else None

    @strawberry.field(description="The signed-in user's own authenticators; empty for anyone else.")
    async def authenticators(self, info: Info) -> list[Authenticator]:
        viewer = info.context.viewer
        if not isinstance(viewer, UserViewer) or viewer.user.id != self.model.id:
            return []
        rows = await AuthenticatorModel.filter(user_id=self.model.id).order_by("created_at", "id")
        return [Authenticator.from_model(a) for a in rows]


@strawberry.type
class UserSummary:
    id: strawberry.ID
    display_name: str
    profession: Profession | None

    @staticmethod
    def from_model(user: UserModel) -> "UserSummary":
        return UserSummary(
            id=strawberry.ID(to_global_id("User", user.id)),
            display_name=user.display_name,
            profession=user.profession,
        )


@strawberry.type(name="Institution")
class Institution(Node):
    id: strawberry.ID
    code: str
    name: str
    environment: Environment

    @staticmethod
    def from_model(inst: InstitutionModel, ctx: Context) -> "Institution":
        # A6: every institution the server shows belongs to the environment it serves.
        return Institution(
            id=strawberry.ID(to_global_id("Institution", inst.id)),
            code=inst.code,
            name=inst.name,
            environment=Environment.from_model(ctx.environment, ctx.environment.id),
        )


@strawberry.type(name="PatientViewer")
class PatientViewer:
    institution: Institution
    patient_name: str
    expires_at: datetime | None


@strawberry.type(name="ApiClient")
class ApiClient:
    name: str
    institution: Institution
    scopes: list[str]


Viewer = Annotated[User | PatientViewer | ApiClient, strawberry.union("Viewer")]
