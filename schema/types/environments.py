from __future__ import annotations

import strawberry

from models.environments import Environment as EnvironmentModel


@strawberry.type
class Environment:
    code: str
    name: str
    country: str
    portal_url: str
    eid_login_enabled: bool
    is_current: bool

    @staticmethod
    def from_model(env: EnvironmentModel, current_id: int) -> "Environment":
        return Environment(
            code=env.code,
            name=env.name,
            country=env.country,
            portal_url=env.portal_url,
            eid_login_enabled=env.eid_login_enabled,
            is_current=env.id == current_id,
        )
