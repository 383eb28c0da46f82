"""Portal types: environment suggestion and redirect (E2-E4), browser (B1), cookie notice (C1)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from auth.browsers import BrowserSupport
from resolvers.cookie_notice import CookieNoticeState
from resolvers.portal import Redirect, Suggestion
from schema.types.environments import Environment


@strawberry.type
class EnvironmentSuggestion:
    detected_country: str | None
    current: Environment
    suggested: Environment | None
    remembered: Environment | None
    should_prompt: bool

    @staticmethod
    def from_result(s: Suggestion) -> "EnvironmentSuggestion":
        here = s.current.id
        return EnvironmentSuggestion(
            detected_country=s.detected_country,
            current=Environment.from_model(s.current, here),
            suggested=Environment.from_model(s.suggested, here) if s.suggested else None,
            remembered=Environment.from_model(s.remembered, here) if s.remembered else None,
            should_prompt=s.should_prompt,
        )


@strawberry.type
class EnvironmentRedirect:
    environment: Environment
    redirect_url: str

    @staticmethod
    def from_result(r: Redirect, current_id: int) -> "EnvironmentRedirect":
        return EnvironmentRedirect(
            environment=Environment.from_model(r.environment, current_id),
            redirect_url=r.redirect_url,
        )


@strawberry.type
class ClientSupport:
    supported: bool
    browser: str | None
    major_version: int | None
    upgrade_url: str | None

    @staticmethod
    def from_result(b: BrowserSupport) -> "ClientSupport":
        return ClientSupport(supported=b.supported, browser=b.browser,
                             major_version=b.major_version, upgrade_url=b.upgrade_url)


@strawberry.type
class CookieNotice:
    due: bool
    text: str
    last_acknowledged_at: datetime | None

    @staticmethod
    def from_result(c: CookieNoticeState) -> "CookieNotice":
        return CookieNotice(due=c.due, text=c.text, last_acknowledged_at=c.last_acknowledged_at)
