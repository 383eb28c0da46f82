"""P1-P4 end to end: the partner script (tests/partner_script.py), over HTTP, with 1,000
studies. Marked `slow`: about 30-60 s on SQLite and on PostgreSQL."""

import httpx
import pytest

from models.studies import ReportVersion, Study
from tests import factories as f
from tests.partner_gql import partner_client
from tests.partner_script import Partner, run

STUDIES = 1000


@pytest.mark.slow
async def test_P1_P4_a_partner_pushes_resends_amends_issues_and_syncs_1000_studies(api_factory):
    env = await f.environment("BE")
    inst = await f.institution(env, "AZX")
    _, token = await partner_client(inst)
    api = api_factory()  # the default fair-use budget is enough for this partner's hour
    browsers = []

    def browser() -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app),
                                   base_url="http://testserver")
        browsers.append(client)
        return client

    try:
        times = await run(Partner(api.http, token), browser, STUDIES, print)
    finally:
        for client in browsers:
            await client.aclose()
    assert await Study.filter(institution_id=inst.id).count() >= STUDIES
    # One FINAL per study, and 10 amendments: the re-sent reports stored nothing.
    assert await ReportVersion.all().count() == STUDIES + 10
    assert sum(times.values()) < 120
