"""Who is asking: resolved once per request by the middleware (auth.middleware)."""

from __future__ import annotations

from dataclasses import dataclass

from models.api_clients import ApiClient
from models.patients import PatientAccess
from models.sessions import Session
from models.users import AccountRole, User


@dataclass(frozen=True)
class Anonymous:
    kind = "ANONYMOUS"


@dataclass(frozen=True)
class UserViewer:
    user: User
    session: Session

    @property
    def kind(self) -> str:
        return "SERVICE_DESK" if self.user.role == AccountRole.SERVICE_DESK else "PRACTITIONER"

    @property
    def is_service_desk(self) -> bool:
        return self.user.role == AccountRole.SERVICE_DESK


@dataclass(frozen=True)
class PatientViewer:
    access: PatientAccess
    session: Session
    kind = "PATIENT"


@dataclass(frozen=True)
class ApiClientViewer:
    client: ApiClient
    kind = "API_CLIENT"

    def has_scope(self, scope: str) -> bool:
        return scope in self.client.scopes


Viewer = Anonymous | UserViewer | PatientViewer | ApiClientViewer
ANONYMOUS = Anonymous()
