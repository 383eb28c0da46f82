"""Images, reports and the access log of a study the viewer may see (A2-A4, A7, A8).

Decisions come from auth.policy and are cached per request; every allowed resolution is
logged, and the log is written in one batch when the request ends (flush_access_log).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from auth import policy
from auth.image_links import LIFETIME, ImageGrant, make_image_token, read_image_token
from auth.viewer import ApiClientViewer, PatientViewer, UserViewer, Viewer
from models.access_log import AccessLogEntry
from models.api_clients import ApiClient
from models.patients import PatientAccess
from models.studies import ReportVersion, Series, Study
from models.users import AccountStatus, User
from resolvers.errors import ApiError
from resolvers.pagination import check_first, decode_cursor, encode_cursor

if TYPE_CHECKING:
    from schema.context import Context

IMAGES, REPORT = "images", "report"
ACTIONS = {IMAGES: "VIEW_IMAGES", REPORT: "VIEW_REPORT"}


def actor_of(viewer: Viewer) -> tuple[str, int, str]:
    """(actor kind, id, name as the access log shows it)."""
    if isinstance(viewer, UserViewer):
        return viewer.kind, viewer.user.id, viewer.user.display_name
    if isinstance(viewer, PatientViewer):
        return "PATIENT", viewer.access.id, "Patient"
    if isinstance(viewer, ApiClientViewer):
        return "API_CLIENT", viewer.client.id, viewer.client.name
    raise ApiError("UNAUTHENTICATED", "Sign in first.")


async def decide(ctx: Context, study: Study, kind: str) -> policy.Decision:
    """The policy's decision for `kind` of `study` (one the viewer sees), once per request."""
    cache = ctx._cache.setdefault("decisions", {})
    key = (study.id, kind)
    if key not in cache:
        if kind == IMAGES:
            cache[key] = policy.image_decision(ctx.viewer, study, study.institution)
        else:
            newest = await ctx.loaders.newest_report.load(study.id)
            cache[key] = policy.report_decision(ctx.viewer, study, study.institution, newest, ctx.now)
    return cache[key]


def _log(ctx: Context, study: Study, kind: str) -> None:
    actor_kind, actor_id, actor = actor_of(ctx.viewer)
    ctx._cache.setdefault("access_log", []).append(AccessLogEntry(
        environment_id=ctx.environment.id, study_id=study.id, at=ctx.now, actor=actor,
        actor_kind=actor_kind, action=ACTIONS[kind], ip_address=ctx.client_ip,
        user_id=actor_id if isinstance(ctx.viewer, UserViewer) else None,
        patient_access_id=actor_id if actor_kind == "PATIENT" else None,
        api_client_id=actor_id if actor_kind == "API_CLIENT" else None,
    ))


async def flush_access_log(ctx: Context) -> None:
    """Writes the request's access-log entries in one statement (A7)."""
    entries = ctx._cache.pop("access_log", None)
    if entries:
        await AccessLogEntry.bulk_create(entries)


@dataclass
class ImagesView:
    series: list[Series]
    viewer_url: str
    expires_at: datetime


async def images_of(ctx: Context, study: Study) -> ImagesView:
    """Call only after `decide(...)` allowed it; logs the view."""
    kind, viewer_id, _ = actor_of(ctx.viewer)
    grant = ImageGrant(study.id, kind, viewer_id, ctx.now + LIFETIME)
    token = make_image_token(ctx.keyring, grant)
    _log(ctx, study, IMAGES)
    base = str(ctx.request.base_url).rstrip("/")
    return ImagesView(await ctx.loaders.series.load(study.id), f"{base}/images/{token}",
                      grant.expires_at)


async def report_of(ctx: Context, study: Study) -> ReportVersion:
    """Call only after `decide(...)` allowed it; the newest version (A3); logs the view."""
    newest = await ctx.loaders.newest_report.load(study.id)
    assert newest is not None
    _log(ctx, study, REPORT)
    return newest


async def _viewer_of(grant: ImageGrant, environment_id: int, now: datetime) -> Viewer | None:
    """The token's viewer as he is now: a disabled account or revoked access loses its links."""
    if grant.viewer_kind in ("PRACTITIONER", "SERVICE_DESK"):
        user = await User.filter(id=grant.viewer_id, environment_id=environment_id,
                                 status=AccountStatus.ACTIVE).first()
        return UserViewer(user, None) if user else None  # type: ignore[arg-type]
    if grant.viewer_kind == "PATIENT":
        access = await PatientAccess.filter(id=grant.viewer_id, environment_id=environment_id,
                                            revoked_at=None, valid_until__gt=now).first()
        return PatientViewer(access, None) if access else None  # type: ignore[arg-type]
    if grant.viewer_kind == "API_CLIENT":
        client = await ApiClient.filter(id=grant.viewer_id, environment_id=environment_id,
                                        revoked_at=None).first()
        return ApiClientViewer(client) if client else None
    return None


async def series_for_token(
    keyring, token: str, environment_id: int, now: datetime
) -> list[Series] | None:
    """A8: the series behind a valid link whose viewer may still see the images; else None."""
    grant = read_image_token(keyring, token, now)
    if grant is None:
        return None
    viewer = await _viewer_of(grant, environment_id, now)
    if viewer is None:
        return None
    study = await policy.visible_studies(viewer, environment_id, now).filter(
        id=grant.study_id).select_related("institution").first()
    if study is None or not policy.image_decision(viewer, study, study.institution).allowed:
        return None
    return await Series.filter(study_id=study.id).order_by("id")


async def access_log(ctx: Context, study: Study, first: int, after: str | None):
    """A7: the study's entries, newest first, for its patient and its institution's API clients."""
    if not policy.may_read_access_log(ctx.viewer, study):
        raise ApiError("FORBIDDEN", "Only the patient and the institution may read this log.")
    check_first(first, 100)
    query = AccessLogEntry.filter(study_id=study.id, environment_id=ctx.environment.id)
    if after is not None:
        key, row_id = decode_cursor(ctx.keyring, "access-log", after)
        query = query.filter(id__lt=row_id)
    rows = await query.order_by("-id").limit(first + 1)
    cursors = [encode_cursor(ctx.keyring, "access-log", None, r.id) for r in rows[:first]]
    return rows[:first], cursors, len(rows) > first
