"""The root Query, assembled from per-domain parts."""

from __future__ import annotations

import strawberry

from resolvers import environments, groups, people, studies, study_access
from resolvers.errors import not_found
from schema.accounts import AccountQueries
from schema.context import Info
from schema.groups import GroupQueries
from schema.convert import institution, viewer_type
from schema.eid import EidQueries
from schema.ids import from_global_id, pk_of
from schema.lookahead import wanted_by
from schema.portal import PortalQueries
from schema.types.common import Node, PageInfo
from schema.types.environments import Environment
from schema.types.groups import Group
from schema.types.people import User, Viewer
from schema.types.studies import (
    AccessLogConnection, AccessLogEdge, AccessLogEntry, Study, StudyConnection, StudyEdge,
    StudyFilter, StudyOrder,
)

MAX_STUDIES_PAGE = 500


def _filter_args(f: StudyFilter | None) -> studies.StudyFilterArgs:
    if f is None:
        return studies.StudyFilterArgs()

    def value(v):  # UNSET and None both mean "no filter"
        return None if v is strawberry.UNSET else v

    group_id = value(f.group_id)
    via = value(f.via)
    return studies.StudyFilterArgs(
        search=value(f.search),
        modality=value(f.modality),
        study_date_from=value(f.study_date_from),
        study_date_to=value(f.study_date_to),
        updated_since=value(f.updated_since),
        via=via.value if via is not None else None,
        group_id=pk_of(group_id, "Group", "filter.groupId") if group_id is not None else None,
    )


def _study(study, info: Info) -> Study:
    return Study.from_model(study, info.context, {})


@strawberry.type
class StudyQueries:
    @strawberry.field(description="The viewer's studies (A1); `first` at most 500 (P2).")
    async def studies(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        filter: StudyFilter | None = None,
        order_by: StudyOrder | None = StudyOrder.STUDY_DATE_DESC,
    ) -> StudyConnection:
        order = (order_by or StudyOrder.STUDY_DATE_DESC).value
        page = await studies.list_studies(
            info.context, 50 if first is None else first, after, _filter_args(filter), order,
            wanted_by(info, "edges", "node"),
        )
        institutions: dict = {}
        edges = [
            StudyEdge(cursor=c, node=Study.from_model(s, info.context, institutions))
            for s, c in zip(page.studies, page.cursors)
        ]
        return StudyConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            count_query=page.count_query,
        )

    @strawberry.field(description="NOT_FOUND alike for a hidden and a missing study (A5).")
    async def study(self, info: Info, id: strawberry.ID) -> Study | None:
        return _study(await studies.get_study(info.context, study_id=pk_of(id, "Study"),
                                              wanted=wanted_by(info)), info)

    @strawberry.field(description="A7: for the study's patient and its institution's API clients.")
    async def access_log(
        self, info: Info, study_id: strawberry.ID, first: int | None = 50, after: str | None = None
    ) -> AccessLogConnection:
        study = await studies.get_study(info.context, study_id=pk_of(study_id, "Study", "studyId"),
                                        wanted=studies.Wanted(visibility=False))
        rows, cursors, has_next = await study_access.access_log(
            info.context, study, 50 if first is None else first, after)
        return AccessLogConnection(
            edges=[AccessLogEdge(cursor=c, node=AccessLogEntry.from_model(r))
                   for r, c in zip(rows, cursors)],
            page_info=PageInfo(has_next_page=has_next, end_cursor=cursors[-1] if cursors else None),
        )

    @strawberry.field
    async def study_by_uid(self, info: Info, study_instance_uid: str) -> Study | None:
        return _study(await studies.get_study(info.context, uid=study_instance_uid,
                                              wanted=wanted_by(info)), info)


@strawberry.type
class CoreQueries:
    @strawberry.field(description="Resolves any global id the viewer may see (A5).")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, pk = from_global_id(id)
        ctx = info.context
        if type_name == "Study":
            return _study(await studies.get_study(ctx, study_id=pk), info)
        if type_name == "User":
            return User.from_model(await people.find_user(ctx, pk))
        if type_name == "Institution":
            return institution(await people.find_institution(ctx, pk), ctx)
        if type_name == "Group":
            group = await groups.find_group(ctx, pk)
            if group is not None:
                return Group.from_model(group)
        raise not_found("No such node.")

    @strawberry.field(description="Null when not signed in.")
    def viewer(self, info: Info) -> Viewer | None:
        return viewer_type(info.context)

    @strawberry.field(description="The environment this server serves (E1).")
    def current_environment(self, info: Info) -> Environment:
        env = info.context.environment
        return Environment.from_model(env, env.id)

    @strawberry.field(description="Every configured environment (E1).")
    async def environments(self, info: Info) -> list[Environment]:
        current = info.context.environment.id
        return [Environment.from_model(e, current) for e in await environments.all_environments()]


@strawberry.type
class Query(CoreQueries, StudyQueries, GroupQueries, AccountQueries, PortalQueries, EidQueries):
    pass
