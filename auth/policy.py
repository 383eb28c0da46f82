"""The single access policy: which studies a viewer sees (A1, G1, G4, A6).

Every study query of every entry point (list, count, detail, `node`, sync) starts from
`visible_studies`, a database filter: rows the viewer may not see are never loaded.
Field decisions (images, report: A2-A4) are added here by the authorization issue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
