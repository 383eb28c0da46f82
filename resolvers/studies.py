"""Study queries (A1, A5, P2): every path starts from auth.policy.visible_studies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from tortoise.expressions import Q

from auth import policy
from auth.viewer import Anonymous, ApiClientViewer, UserViewer
from models.db import on_postgres
from models.studies import Study, StudyCopyTo
from resolvers import study_candidates as candidates
from resolvers.dicom import validate_uid
from resolvers.errors import ApiError, bad_input, unauthenticated
from resolvers.pagination import check_first, decode_cursor, encode_cursor
from resolvers.study_prefetch import (
    EVERYTHING_LAZY,
    Wanted,
    copy_to_ids,
    prime_loaders,
    with_wanted,
)

if TYPE_CHECKING:
    from schema.context import Context

# Order name -> (key column, descending)
ORDERS: dict[str, tuple[str, bool]] = {
    "STUDY_DATE_DESC": ("study_date", True),
    "STUDY_DATE_ASC": ("study_date", False),
    "UPDATED_AT_ASC": ("updated_at", False),
}


@dataclass
class StudyFilterArgs:
    search: str | None = None
    modality: str | None = None
    study_date_from: date | None = None
    study_date_to: date | None = None
    updated_since: datetime | None = None
    via: str | None = None
    group_id: int | None = None


@dataclass
class StudyPage:
    studies: list[Study]
    cursors: list[str]
    has_next_page: bool
    count_query: Any  # awaited only when totalCount is asked for


def _require_reader(ctx: Context) -> None:
    if isinstance(ctx.viewer, Anonymous):
        raise unauthenticated()
    if isinstance(ctx.viewer, ApiClientViewer) and not ctx.viewer.has_scope("studies:read"):
        raise ApiError("FORBIDDEN", "This token lacks the scope studies:read.", scope="studies:read")


def _filtered(ctx: Context, f: StudyFilterArgs):
    query = policy.visible_studies(ctx.viewer, ctx.environment.id, ctx.now, f.via, f.group_id)
    if f.search:
        words = f.search.strip()
        if len(words) > 200:
            raise bad_input("filter.search", "at most 200 characters")
        # Never the report text: a hidden report must not be findable (A4).
        query = query.filter(
            Q(patient_name__icontains=words)
            | Q(accession_number__icontains=words)
            | Q(description__icontains=words)
        )
    if f.modality:
        code = f.modality.strip().upper()
        if not code.isalnum() or len(code) > 16:
            raise bad_input("filter.modality", "a DICOM modality code such as CT or MR")
        query = query.filter(modalities_key__contains=f"|{code}|")
    if f.study_date_from:
        query = query.filter(study_date__gte=f.study_date_from)
    if f.study_date_to:
        query = query.filter(study_date__lte=f.study_date_to)
    if f.updated_since:
        query = query.filter(updated_at__gte=f.updated_since)
    return query


def _key_value(order: str, key: Any) -> date | datetime:
    """A cursor's key as the order's column holds it."""
    column, _ = ORDERS[order]
    return date.fromisoformat(key) if column == "study_date" else datetime.fromisoformat(key)


def _after(order: str, value: date | datetime, row_id: int) -> Q:
    column, descending = ORDERS[order]
    op = "lt" if descending else "gt"
    return Q(**{f"{column}__{op}": value}) | Q(**{column: value, f"id__{op}": row_id})


async def list_studies(
    ctx: Context, first: int, after: str | None, f: StudyFilterArgs, order: str,
    wanted: Wanted = EVERYTHING_LAZY,
) -> StudyPage:
    """One page of the viewer's studies in keyset order, with what `wanted` names loaded in the
    same statement; totalCount is a separate, lazy count."""
    _require_reader(ctx)
    check_first(first)
    query = _filtered(ctx, f)
    participants = await _participants(ctx, f) if _takes_candidates(ctx, f, order) else None
    count_query = (query if participants is None else query.filter(id__in=candidates.candidates(
        ctx.environment.id, participants, order, None, None, f.study_date_from, f.study_date_to,
    ))).count()
    keyset = None
    if after is not None:
        key, row_id = decode_cursor(ctx.keyring, order, after)
        try:
            value = _key_value(order, key)
            query = query.filter(_after(order, value, row_id))
            keyset = (value, row_id)
        except (ValueError, TypeError):
            raise bad_input("after", "not a cursor of this list") from None
    if participants is not None:
        query = query.filter(id__in=candidates.candidates(
            ctx.environment.id, participants, order, first + 1, keyset, f.study_date_from,
            f.study_date_to))
    column, descending = ORDERS[order]
    sign = "-" if descending else ""
    query = query.order_by(f"{sign}{column}", f"{sign}id").limit(first + 1).select_related(
        "institution", "referring_physician"
    )
    rows = await with_wanted(query, wanted, isinstance(ctx.viewer, UserViewer))
    has_next = len(rows) > first
    rows = rows[:first]
    prime_loaders(ctx, rows)
    if wanted.visibility:
        await attach_visibility(ctx, rows)
    cursors = [encode_cursor(ctx.keyring, order, getattr(s, column), s.id) for s in rows]
    return StudyPage(rows, cursors, has_next, count_query)


def _takes_candidates(ctx: Context, f: StudyFilterArgs, order: str) -> bool:
    """Where resolvers.study_candidates gives the page exactly (see there)."""
    viewer = ctx.viewer
    return (isinstance(viewer, UserViewer) and not viewer.is_service_desk
            and order in candidates.ORDERS and f.via in (None, policy.VIA_OWN)
            and f.group_id is None and not f.search and not f.modality
            and f.updated_since is None
            and on_postgres())


async def _participants(ctx: Context, f: StudyFilterArgs) -> list[int]:
    """The viewer and, unless only his own are asked for, his colleagues in good standing, as
    the policy has them (the request's cached group sharing)."""
    assert isinstance(ctx.viewer, UserViewer)
    participants = [ctx.viewer.user.id]
    if f.via is None:
        participants += list((await ctx.group_sharing()).groups_by_colleague)
    return participants


async def attach_visibility(ctx: Context, studies: list[Study]) -> None:
    """Sets `visibility_via` and `visibility_group` on each study. For a practitioner: the
    copy-to lists (unless loaded with the studies) and, when a study is not his own, the
    group sharing; at most two queries for any page size."""
    if not studies:
        return
    participants: dict[int, list[int]] = {
        s.id: [s.referring_physician_id] if s.referring_physician_id else [] for s in studies
    }
    sharing = None
    if isinstance(ctx.viewer, UserViewer):
        missing = []
        for s in studies:
            loaded = copy_to_ids(s)
            if loaded is None:
                missing.append(s.id)
            else:
                participants[s.id] += loaded
        if missing:
            for study_id, user_id in await StudyCopyTo.filter(
                study_id__in=missing
            ).values_list("study_id", "user_id"):
                participants[study_id].append(user_id)
        me = ctx.viewer.user.id
        if any(me not in ids for ids in participants.values()):
            sharing = await ctx.group_sharing()
    for s in studies:
        s.visibility_via, s.visibility_group = policy.visibility_of(
            ctx.viewer, participants[s.id], sharing
        )


async def get_study(ctx: Context, study_id: int | None = None, uid: str | None = None,
                    wanted: Wanted = EVERYTHING_LAZY) -> Study:
    """One study the viewer may see, with what `wanted` names loaded in the same statement;
    NOT_FOUND alike for hidden and missing ones (A5)."""
    _require_reader(ctx)
    if uid is not None:  # S3: a malformed UID is bad input, not "not found"
        try:
            validate_uid(uid)
        except ValueError as exc:
            raise bad_input("studyInstanceUid", str(exc)) from None
    query = policy.visible_studies(ctx.viewer, ctx.environment.id, ctx.now)
    query = query.filter(id=study_id) if study_id is not None else query.filter(
        study_instance_uid=uid
    )
    query = query.select_related("institution", "referring_physician")
    study = await with_wanted(query, wanted, isinstance(ctx.viewer, UserViewer)).first()
    if study is None:
        raise ApiError("NOT_FOUND", "No such study.")
    prime_loaders(ctx, [study])
    if wanted.visibility:
        await attach_visibility(ctx, [study])
    return study
