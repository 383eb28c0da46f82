"""The per-request context every resolver receives (`info.context`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from auth import policy
from auth.crypto import Keyring
from auth.sessions import SessionPolicy
from auth.throttle import Throttle
from auth.viewer import UserViewer, Viewer
from models.environments import Environment
from resolvers.outbound import Outbound
from schema.loaders import Loaders
from settings import Settings


@dataclass
class Context:
    request: Request
    response: Response
    settings: Settings
    keyring: Keyring
    sessions: SessionPolicy
    environment: Environment
    viewer: Viewer
    now: datetime
    client_ip: str | None
    throttle: Throttle
    outbound: Outbound
    loaders: Loaders = field(default_factory=Loaders)
    _cache: dict[str, Any] = field(default_factory=dict)

    async def group_sharing(self) -> policy.GroupSharing:
        """The viewer's group colleagues, loaded once per request."""
        if "group_sharing" not in self._cache:
            assert isinstance(self.viewer, UserViewer)
            self._cache["group_sharing"] = await policy.group_sharing(self.viewer.user.id, self.now)
        return self._cache["group_sharing"]


Info = StrawberryInfo[Context, None]
