"""Partner ingestion (P3): `upsertStudy` and `publishReport` for the client's own institution.

An upsert that changes nothing writes nothing, so `updatedAt` stays; a change is written in one
transaction stamped by `study_clock` (P2). Reports keep every version (see README for the
status transitions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.studies import ReportStatus, ReportVersion, Series, Study, StudyCopyTo
from models.users import AccountRole, User
from resolvers.errors import ApiError, bad_input, not_found
from resolvers.partner_auth import STUDIES_WRITE, require_scope
from resolvers.partner_input import (
    CheckedStudy,
    ReportData,
    SeriesRow,
    StudyData,
    check_report,
    check_study,
)
from resolvers.studies import attach_visibility
from resolvers.study_clock import lock_study_writes

if TYPE_CHECKING:
    from schema.context import Context

FINAL_STATES = (ReportStatus.FINAL, ReportStatus.AMENDED)


async def upsert_study(ctx: Context, data: StudyData) -> Study:
    """Create or update the institution's study with this UID; returns it, loaded for the API."""
    client = require_scope(ctx, STUDIES_WRITE)
    checked = check_study(data, ctx.now.date())
    referring_id, copy_ids = await _physicians(ctx, checked)
    institution_id = client.client.institution_id
    current = await Study.filter(institution_id=institution_id, study_instance_uid=checked.uid
                                 ).select_related("institution", "referring_physician").first()
    if current is None or await _differs(current, checked, referring_id, copy_ids):
        study_id = await _write(ctx, institution_id, checked, referring_id, copy_ids)
        current = await Study.filter(id=study_id).select_related(
            "institution", "referring_physician").get()
    # else nothing to write, and updatedAt stays (P3)
    await attach_visibility(ctx, [current])
    return current


async def _write(ctx: Context, institution_id: int, checked: CheckedStudy,
                 referring_id: int | None, copy_ids: list[int] | None) -> int:
    """Creates or updates the study in one transaction, stamped after the lock (P2)."""
    async with in_transaction() as conn:
        stamp = await lock_study_writes(conn, ctx.environment.id)
        current = await _find(institution_id, checked.uid, conn)
        if current is None:
            current = await Study.create(
                environment_id=ctx.environment.id, institution_id=institution_id,
                study_instance_uid=checked.uid, referring_physician_id=referring_id,
                report_status=ReportStatus.NONE, created_at=stamp, updated_at=stamp,
                **checked.columns, **_counts(checked.series or []), using_db=conn,
            )
            await _replace(current.id, checked.series or [], copy_ids or [], conn)
        elif await _differs(current, checked, referring_id, copy_ids, conn):
            # Re-checked under the lock: a concurrent identical upsert may have written it.
            counts = _counts(checked.series) if checked.series is not None else {}
            await Study.filter(id=current.id).using_db(conn).update(
                **checked.columns, **counts, referring_physician_id=referring_id,
                updated_at=stamp,
            )
            await _replace(current.id, checked.series, copy_ids, conn)
    return current.id


async def _physicians(ctx: Context, checked: CheckedStudy) -> tuple[int | None, list[int] | None]:
    """User ids of the referring and copy-to physicians: practitioners of this environment."""
    keys = [k for k in [checked.referring_key, *(checked.copy_to_keys or [])] if k]
    found = dict(await User.filter(
        environment_id=ctx.environment.id, username_key__in=keys, role=AccountRole.PRACTITIONER,
    ).values_list("username_key", "id")) if keys else {}

    def user_id(key: str, argument: str) -> int:
        if key not in found:
            raise bad_input(argument, f'no practitioner with the username "{key}"')
        return found[key]

    referring = (user_id(checked.referring_key, "input.referringPhysicianUsername")
                 if checked.referring_key else None)
    copies = None if checked.copy_to_keys is None else [
        user_id(k, f"input.copyToUsernames[{i}]") for i, k in enumerate(checked.copy_to_keys)]
    return referring, copies


async def _find(institution_id: int, uid: str, conn: BaseDBAsyncClient | None = None) -> Study | None:
    return await Study.filter(institution_id=institution_id, study_instance_uid=uid).using_db(
        conn).first()


def _counts(series: list[SeriesRow]) -> dict[str, int]:
    return {"number_of_series": len(series),
            "number_of_instances": sum(s[4] for s in series)}


async def _differs(study: Study, checked: CheckedStudy, referring_id: int | None,
                   copy_ids: list[int] | None, conn: BaseDBAsyncClient | None = None) -> bool:
    """True when writing `checked` would change the stored study."""
    if study.referring_physician_id != referring_id or any(
            getattr(study, column) != value for column, value in checked.columns.items()):
        return True
    if copy_ids is not None:
        stored = await StudyCopyTo.filter(study_id=study.id).using_db(conn).values_list(
            "user_id", flat=True)
        if set(stored) != set(copy_ids):
            return True
    if checked.series is not None:
        rows = await Series.filter(study_id=study.id).using_db(conn).values_list(
            "series_instance_uid", "modality", "description", "body_part", "number_of_instances")
        if {tuple(r) for r in rows} != set(checked.series):
            return True
    return False


async def _replace(study_id: int, series: list[SeriesRow] | None, copy_ids: list[int] | None,
                   conn: BaseDBAsyncClient) -> None:
    """Series and copy-to list become the given ones; None keeps what is stored."""
    if series is not None:
        await Series.filter(study_id=study_id).using_db(conn).delete()
        await Series.bulk_create([
            Series(study_id=study_id, series_instance_uid=uid, modality=modality,
                   description=description, body_part=body_part, number_of_instances=count)
            for uid, modality, description, body_part, count in series
        ], using_db=conn)
    if copy_ids is not None:
        await StudyCopyTo.filter(study_id=study_id).using_db(conn).delete()
        await StudyCopyTo.bulk_create(
            [StudyCopyTo(study_id=study_id, user_id=u) for u in copy_ids], using_db=conn)


async def publish_report(ctx: Context, data: ReportData) -> ReportVersion:
    """Stores a new report version and returns the study's report (its newest version).

    A report equal to a stored version (status, text, author and, when given, signedAt) is a
    replay: nothing is stored. AMENDED follows FINAL or AMENDED; FINAL and PRELIMINARY follow
    nothing or PRELIMINARY; anything else is CONFLICT.
    """
    client = require_scope(ctx, STUDIES_WRITE)
    report = check_report(data, ctx.now)
    study = await Study.filter(
        environment_id=ctx.environment.id, institution_id=client.client.institution_id,
        study_instance_uid=report.study_instance_uid,
    ).only("id").first()
    if study is None:
        raise not_found(f'No study "{report.study_instance_uid}" at your institution.')
    async with in_transaction() as conn:
        stamp = await lock_study_writes(conn, ctx.environment.id)
        versions = await ReportVersion.filter(study_id=study.id).using_db(conn).order_by("version")
        if any(_same(v, report) for v in versions):
            return versions[-1]
        _check_transition(versions[-1].status if versions else None, report.status)
        signed_at = report.signed_at
        if signed_at is None and report.status in FINAL_STATES:
            signed_at = stamp  # a final report is signed when it is published, unless told
        version = await ReportVersion.create(
            study_id=study.id, version=len(versions) + 1, status=report.status, text=report.text,
            author=report.author, signed_at=signed_at, created_at=stamp, using_db=conn,
        )
        await Study.filter(id=study.id).using_db(conn).update(
            report_status=report.status, updated_at=stamp)
    return version


def _same(version: ReportVersion, report: ReportData) -> bool:
    return (version.status == report.status and version.text == report.text
            and version.author == report.author
            and (report.signed_at is None or version.signed_at == report.signed_at))


def _check_transition(newest: ReportStatus | None, status: ReportStatus) -> None:
    if newest in FINAL_STATES and status != ReportStatus.AMENDED:
        raise ApiError("CONFLICT", "The report is final: publish an AMENDED version to change it.",
                       argument="input.status")
    if newest not in FINAL_STATES and status == ReportStatus.AMENDED:
        raise ApiError("CONFLICT", "There is no final report to amend: publish FINAL first.",
                       argument="input.status")
