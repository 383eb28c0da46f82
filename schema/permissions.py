"""Field-level authorization (A4): one extension for `Study.images` and `Study.report`.

It asks the policy (through resolvers.study_access.decide, cached per request); a denied field
resolves to null with a FORBIDDEN error carrying the reason, and the rest of the study resolves.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from strawberry.extensions import FieldExtension

from resolvers import study_access
from resolvers.errors import ApiError

MESSAGES = {
    "INSTITUTION_POLICY": "The institution does not share this with you.",
    "NOT_AVAILABLE": "Not available for this study.",
    "REPORT_NOT_FINAL": "The report is not final yet.",
    "RELEASE_PENDING": "The report is not released to patients yet.",
    "PAYMENT_REQUIRED": "Payment is required first.",
    "SCOPE_MISSING": "Your access does not include this.",
}


class PolicyGuard(FieldExtension):
    def __init__(self, kind: str) -> None:
        self.kind = kind

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        decision = await study_access.decide(info.context, source.model, self.kind)
        if not decision.allowed:
            raise ApiError("FORBIDDEN", MESSAGES[decision.reason or "INSTITUTION_POLICY"],
                           reason=decision.reason)
        return await next_(source, info, **kwargs)
