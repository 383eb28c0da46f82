"""The single access policy: which studies a viewer sees (A1, G1, G4, A6).

Every study query of every entry point (list, count, detail, `node`, sync) starts from
`visible_studies`, a database filter: rows the viewer may not see are never loaded.
Field decisions (images, report: A2-A4) are added here by the authorization issue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from auth import standing
from auth.viewer import ApiClientViewer, PatientViewer, UserViewer, Viewer
from models.groups import Group, GroupMembership
from models.patients import PatientAccessStudy
from models.studies import Study, StudyCopyTo

VIA_OWN, VIA_GROUP, VIA_PATIENT, VIA_INSTITUTION = "OWN", "GROUP", "PATIENT", "INSTITUTION"


def _nothing() -> QuerySet[Study]:
    return Study.filter(id__in=[])


def _own(user_id: int) -> Q:
    """Studies the practitioner requested or was copied on."""
    copied = Subquery(StudyCopyTo.filter(user_id=user_id).values("study_id"))
    return Q(referring_physician_id=user_id) | Q(id__in=copied)


def _good_standing(now: datetime) -> Q:
    return Q(confirmed_at__gte=standing.lapse_bound(now))


def _colleague_ids(user_id: int, now: datetime, group_id: int | None = None) -> Subquery:
    """Fellow members of the viewer's groups, where both memberships are in good standing (G1, G4)."""
    my_groups = GroupMembership.filter(_good_standing(now), user_id=user_id)
    if group_id is not None:
        my_groups = my_groups.filter(group_id=group_id)
    return Subquery(
        GroupMembership.filter(
            _good_standing(now), group_id__in=Subquery(my_groups.values("group_id"))
        )
        .exclude(user_id=user_id)
        .values("user_id")
    )


def _via_group(user_id: int, now: datetime, group_id: int | None = None) -> Q:
    colleagues = _colleague_ids(user_id, now, group_id)
    copied = Subquery(StudyCopyTo.filter(user_id__in=colleagues).values("study_id"))
    return Q(referring_physician_id__in=colleagues) | Q(id__in=copied)


def visible_studies(
    viewer: Viewer,
    environment_id: int,
    now: datetime,
    via: str | None = None,
    group_id: int | None = None,
) -> QuerySet[Study]:
    """The studies `viewer` may see in this environment, optionally only those seen `via` one way.

    `group_id` keeps the studies shared through that group (the viewer's own excluded).
    """
    base = Study.filter(environment_id=environment_id)
    if isinstance(viewer, UserViewer) and not viewer.is_service_desk:
        uid = viewer.user.id
        if group_id is not None:
            return base.filter(_via_group(uid, now, group_id) & ~_own(uid)) if via in (
                None, VIA_GROUP) else _nothing()
        if via is None:
            return base.filter(_own(uid) | _via_group(uid, now))
        if via == VIA_OWN:
            return base.filter(_own(uid))
        if via == VIA_GROUP:
            return base.filter(_via_group(uid, now) & ~_own(uid))
        return _nothing()
    if isinstance(viewer, PatientViewer) and via in (None, VIA_PATIENT) and group_id is None:
        mine = Subquery(
            PatientAccessStudy.filter(patient_access_id=viewer.access.id).values("study_id")
        )
        return base.filter(id__in=mine)
    if isinstance(viewer, ApiClientViewer) and via in (None, VIA_INSTITUTION) and group_id is None:
        return base.filter(institution_id=viewer.client.institution_id)
    return _nothing()


@dataclass
class GroupSharing:
    """The viewer's colleagues in good standing and the groups they share (for `visibility`)."""

    groups_by_colleague: dict[int, list[Group]] = field(default_factory=dict)

    def group_for(self, participant_ids: list[int]) -> Group | None:
        """The first group (by name) through which one of these physicians shares with the viewer."""
        candidates = [g for uid in participant_ids for g in self.groups_by_colleague.get(uid, [])]
        return min(candidates, key=lambda g: (g.name, g.id)) if candidates else None


async def group_sharing(user_id: int, now: datetime) -> GroupSharing:
    """One query: every good-standing colleague membership in the viewer's good-standing groups."""
    rows = await GroupMembership.filter(
        _good_standing(now),
        group_id__in=Subquery(
            GroupMembership.filter(_good_standing(now), user_id=user_id).values("group_id")
        ),
    ).exclude(user_id=user_id).select_related("group")
    sharing = GroupSharing()
    for row in rows:
        sharing.groups_by_colleague.setdefault(row.user_id, []).append(row.group)
    return sharing


def visibility_of(
    viewer: Viewer, participant_ids: list[int], sharing: GroupSharing | None
) -> tuple[str, Group | None]:
    """Why the viewer sees a study he may see: (via, group). `participant_ids` are the study's
    referring physician and copy-to physicians."""
    if isinstance(viewer, PatientViewer):
        return VIA_PATIENT, None
    if isinstance(viewer, ApiClientViewer):
        return VIA_INSTITUTION, None
    assert isinstance(viewer, UserViewer)
    if viewer.user.id in participant_ids:
        return VIA_OWN, None
    group = sharing.group_for(participant_ids) if sharing else None
    return VIA_GROUP, group


# ---------------------------------------------------------------- field access (A2, A3, A4)

INSTITUTION_POLICY, NOT_AVAILABLE, REPORT_NOT_FINAL = (
    "INSTITUTION_POLICY", "NOT_AVAILABLE", "REPORT_NOT_FINAL")
RELEASE_PENDING, PAYMENT_REQUIRED, SCOPE_MISSING = (
    "RELEASE_PENDING", "PAYMENT_REQUIRED", "SCOPE_MISSING")
SHOWN_TO_PEOPLE = ("FINAL", "AMENDED")


@dataclass(frozen=True)
class Decision:
    """Allowed, or the first AccessDeniedReason in the rule's order."""

    allowed: bool
    reason: str | None = None


ALLOWED = Decision(True)


def _deny(reason: str) -> Decision:
    return Decision(False, reason)


def _unpaid(viewer: PatientViewer) -> bool:
    return viewer.access.payment_required and not viewer.access.paid


def image_decision(viewer: Viewer, study: Study, institution) -> Decision:
    """A2, for a study the viewer may see (visible_studies)."""
    if study.number_of_series < 1:
        return _deny(NOT_AVAILABLE)
    if isinstance(viewer, ApiClientViewer):
        ok = study.institution_id == viewer.client.institution_id
        return ALLOWED if ok else _deny(INSTITUTION_POLICY)
    if isinstance(viewer, PatientViewer):
        if not institution.patient_images:
            return _deny(INSTITUTION_POLICY)
        return _deny(PAYMENT_REQUIRED) if _unpaid(viewer) else ALLOWED
    if isinstance(viewer, UserViewer) and not viewer.is_service_desk:
        return ALLOWED if institution.practitioner_images else _deny(INSTITUTION_POLICY)
    return _deny(INSTITUTION_POLICY)


def release_time_for_patient(study: Study, institution, signed_at: datetime | None) -> datetime | None:
    """`availableForPatientAt`, else the signing time plus the institution's delay (A3)."""
    if study.available_for_patient_at is not None:
        return study.available_for_patient_at
    if signed_at is None:
        return None
    return signed_at + timedelta(hours=institution.patient_report_delay_hours)


def report_decision(
    viewer: Viewer, study: Study, institution, newest, now: datetime
) -> Decision:
    """A3, for a study the viewer may see; `newest` is its newest report version or None."""
    if newest is None:
        return _deny(NOT_AVAILABLE)
    if isinstance(viewer, ApiClientViewer):
        if not viewer.has_scope("reports:read"):
            return _deny(SCOPE_MISSING)
        ok = study.institution_id == viewer.client.institution_id
        return ALLOWED if ok else _deny(INSTITUTION_POLICY)
    if isinstance(viewer, PatientViewer):
        if not institution.patient_report:
            return _deny(INSTITUTION_POLICY)
        if newest.status not in SHOWN_TO_PEOPLE:
            return _deny(REPORT_NOT_FINAL)
        if viewer.access.scope != "IMAGES_AND_REPORT":
            return _deny(SCOPE_MISSING)
        release = release_time_for_patient(
            study, institution, newest.signed_at or newest.created_at
        )
        if release is None or release > now:
            return _deny(RELEASE_PENDING)
        return _deny(PAYMENT_REQUIRED) if _unpaid(viewer) else ALLOWED
    if isinstance(viewer, UserViewer) and not viewer.is_service_desk:
        if not institution.practitioner_report:
            return _deny(INSTITUTION_POLICY)
        return ALLOWED if newest.status in SHOWN_TO_PEOPLE else _deny(REPORT_NOT_FINAL)
    return _deny(INSTITUTION_POLICY)


def may_read_access_log(viewer: Viewer, study: Study) -> bool:
    """A7: the study's patient (his own access) and the institution's API clients; nobody else.

    Called for a study the viewer may see, so a patient here holds an access to it."""
    if isinstance(viewer, PatientViewer):
        return True
    if isinstance(viewer, ApiClientViewer):
        return study.institution_id == viewer.client.institution_id
    return False
