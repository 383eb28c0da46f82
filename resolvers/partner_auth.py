"""Who may call the partner mutations (P1): API clients with the operation's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auth.viewer import Anonymous, ApiClientViewer
from resolvers.errors import ApiError, forbidden, unauthenticated

if TYPE_CHECKING:
    from schema.context import Context

STUDIES_WRITE = "studies:write"
PATIENT_ACCESS_WRITE = "patient-access:write"


def require_scope(ctx: Context, scope: str) -> ApiClientViewer:
    """The calling API client when it holds `scope`.

    Anonymous callers get UNAUTHENTICATED; signed-in people (practitioners, patients, the
    service desk) FORBIDDEN; a client without the scope FORBIDDEN naming it.
    """
    viewer = ctx.viewer
    if isinstance(viewer, Anonymous):
        raise unauthenticated()
    if not isinstance(viewer, ApiClientViewer):
        raise forbidden("Only partner systems (API clients) may do this.")
    if not viewer.has_scope(scope):
        raise ApiError("FORBIDDEN", f"This token lacks the scope {scope}.", scope=scope)
    return viewer
