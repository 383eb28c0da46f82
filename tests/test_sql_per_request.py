"""SQL statements per request, the whole request counted (session or token lookup, budget,
queries, access-log insert): constant in the page size, and at most 4 for a practitioner's
list, 3 for a study's detail and 3 for a partner's sync page (issue 9), on both databases."""

import pytest

from models.studies import ReportStatus
from schema.ids import to_global_id
from tests import factories as f
from tests.sqlcount import count_sql

# (a) of the benchmark: a practitioner's list with patient, institution, reportStatus,
# visibility and access.
LIST = """
query($first: Int) {
  studies(first: $first) {
    edges { node { id studyInstanceUid accessionNumber studyDate description modalities
      patient { name birthDate sex patientId } institution { id code name }
      referringPhysician numberOfSeries numberOfInstances reportStatus availableForPatientAt
      updatedAt visibility { via group { id name } }
      access { images { allowed reason } report { allowed reason } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""

# (b): one study with its report and its series.
DETAIL = """
query($id: ID!) {
  study(id: $id) {
    id studyInstanceUid studyDate description modalities patient { name birthDate }
    institution { code name } reportStatus numberOfSeries
    report { status text author signedAt }
    images { series { seriesInstanceUid modality description bodyPart numberOfInstances }
             viewerUrl expiresAt }
  }
}"""

# (c): a partner's sync page.
SYNC = """
query($first: Int, $after: String) {
  studies(first: $first, after: $after, orderBy: UPDATED_AT_ASC,
           filter: {updatedSince: "2020-01-01T00:00:00Z"}) {
    edges { node { id studyInstanceUid accessionNumber studyDate modalities updatedAt
                   patient { name birthDate } numberOfSeries numberOfInstances reportStatus } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture
async def world(api_factory):
    env = await f.environment()
    insts = [await f.institution(env, c) for c in ("AZX", "RADB")]
    doc = await f.user(env, "doc@example.be")
    colleague = await f.user(env, "col@example.be")
    await f.group(env, "Praktijk", [(doc, True), (colleague, False)])
    studies = []
    for i in range(560):
        studies.append(await f.study(
            insts[1 if i % 20 == 0 else 0], referring=doc if i % 3 else colleague,
            copy_to=[colleague] if i % 7 == 0 else [], series=0,
            report=ReportStatus.FINAL if i % 2 else None))
    detailed = await f.study(insts[0], referring=doc, series=20, report=ReportStatus.FINAL)
    _, token = await f.api_client(insts[0])
    # A 500-study page with every field costs 19,001 points, past the default limit (S1).
    return {
        "doctor": api_factory(max_query_cost=50_000).with_session(await f.session_cookie(env, doc)),
        "partner": api_factory().with_token(token),
        "detailed": to_global_id("Study", detailed.id),
    }


async def _count(client, query, variables):
    await client.data(query, variables)  # warm-up: caches, the session's first touch
    with count_sql() as statements:
        data = await client.data(query, variables)
    return data, statements


@pytest.mark.parametrize("first", [10, 50, 500])
async def test_a_practitioners_list_takes_at_most_4_statements_for_any_page_size(world, first):
    data, statements = await _count(world["doctor"], LIST, {"first": first})
    edges = data["studies"]["edges"]
    assert len(edges) == first
    assert {e["node"]["visibility"]["via"] for e in edges} == {"OWN", "GROUP"}
    assert {e["node"]["access"]["report"]["allowed"] for e in edges} == {True, False}
    assert len(statements) <= 4, statements


async def test_a_study_detail_with_report_and_20_series_takes_at_most_3_statements(world):
    data, statements = await _count(world["doctor"], DETAIL, {"id": world["detailed"]})
    study = data["study"]
    assert study["report"]["status"] == "FINAL"
    assert len(study["images"]["series"]) == 20
    assert len(statements) <= 3, statements


@pytest.mark.parametrize("first", [10, 500])
async def test_a_partner_sync_page_takes_at_most_3_statements(world, first):
    data, statements = await _count(world["partner"], SYNC, {"first": first})
    assert len(data["studies"]["edges"]) == first
    assert len(statements) <= 3, statements


async def test_a_report_looked_ahead_for_access_only_does_not_hide_its_text_from_another_field(
        world):
    """The list loads the newest report without its text (access needs only its status); the
    same study asked for with its report in the same request still gets the text."""
    body = await world["doctor"].gql("""
      query($id: ID!) {
        studies(first: 500) { edges { node { id access { report { allowed } } } } }
        study(id: $id) { report { text } }
        again: studies(first: 500) { edges { node { id report { text } } } }
      }""", {"id": world["detailed"]})
    data = body["data"]
    # Studies without a report are refused in `again` (NOT_AVAILABLE), nothing else.
    assert {e["extensions"]["reason"] for e in body["errors"]} == {"NOT_AVAILABLE"}
    listed = {e["node"]["id"] for e in data["studies"]["edges"]}
    assert world["detailed"] in listed
    assert data["study"]["report"]["text"] == "Report text."
    texts = [e["node"]["report"] for e in data["again"]["edges"]
             if e["node"]["id"] == world["detailed"]]
    assert texts == [{"text": "Report text."}]
