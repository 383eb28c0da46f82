"""The number of SQL statements per request does not grow with the page size."""

import pytest

from tests import factories as f
from tests.sqlcount import count_sql
from tests.test_studies_visibility import LIST

FULL_LIST = """
query($first: Int) {
  studies(first: $first) {
    totalCount
    edges { node { id studyInstanceUid accessionNumber studyDate description modalities
      patient { name birthDate sex patientId } institution { id code name environment { code } }
      referringPhysician numberOfSeries numberOfInstances reportStatus availableForPatientAt
      updatedAt visibility { via group { id name } } } }
  }
}"""


@pytest.fixture
async def busy_doctor(api_factory):
    env = await f.environment()
    insts = [await f.institution(env, c) for c in ("AZX", "RADB")]
    doc = await f.user(env, "doc@example.be")
    colleague = await f.user(env, "col@example.be")
    await f.group(env, "Praktijk", [(doc, True), (colleague, False)])
    for i in range(60):
        await f.study(insts[i % 2], referring=doc if i % 2 else colleague,
                      copy_to=[colleague] if i % 5 == 0 else [], series=0)
    return api_factory().with_session(await f.session_cookie(env, doc))


async def test_practitioner_list_costs_the_same_sql_for_10_and_60_studies(busy_doctor):
    counts = []
    for first in (10, 60):
        # warm-up: the session touch and environment lookup are not part of the comparison
        await busy_doctor.data(FULL_LIST, {"first": first})
        with count_sql() as statements:
            data = await busy_doctor.data(FULL_LIST, {"first": first})
        assert len(data["studies"]["edges"]) == first
        counts.append(len(statements))
    print("SQL per list request:", counts)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 5, counts  # session, count, page, copy-to, group sharing
