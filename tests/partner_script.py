"""A partner hospital's integration, over HTTP only (P1-P4): what `test_partner_script` runs
against the app, and what can run against a live server:

    python -m tests.partner_script --url http://127.0.0.1:8000 --token sgt_... [--studies 1000]

It pushes studies with series and reports, re-sends everything (nothing may change), amends
reports, issues and revokes patient codes, and syncs from a mark in pages of 500 while upserts
continue. Every step asserts what the contract promises.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from tests.partner_gql import ISSUE, REVOKE, SYNC, report_input, study_input, uid

BATCH = 10  # mutations per request, as aliases (S1 allows 15)
PATIENT_LOGIN = """mutation($c: String!, $d: Date!) { patientLogin(accessCode: $c, dateOfBirth: $d) {
  __typename ... on LoginFailed { reason } } }"""
MY_STUDIES = "{ studies { edges { node { studyInstanceUid } } } }"


def batched(field: str, input_type: str, selection: str, count: int) -> str:
    """One mutation document with `count` aliased calls of `field`."""
    variables = ", ".join(f"$i{k}: {input_type}!" for k in range(count))
    calls = " ".join(f"m{k}: {field}(input: $i{k}) {{ {selection} }}" for k in range(count))
    return f"mutation({variables}) {{ {calls} }}"


class Partner:
    """A partner system: a bearer token and an HTTP client, a few requests in flight."""

    def __init__(self, http: httpx.AsyncClient, token: str, in_flight: int = 4) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}
        self.gate = asyncio.Semaphore(in_flight)

    async def call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        async with self.gate:
            response = await self.http.post("/graphql", headers=self.headers, timeout=120,
                                            json={"query": query, "variables": variables or {}})
        body = response.json()
        assert response.status_code == 200 and not body.get("errors"), body
        return body["data"]

    async def _each(self, field: str, input_type: str, selection: str,
                    inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        async def one_batch(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
            data = await self.call(batched(field, input_type, selection, len(chunk)),
                                   {f"i{k}": v for k, v in enumerate(chunk)})
            return [data[f"m{k}"] for k in range(len(chunk))]

        chunks = [inputs[i:i + BATCH] for i in range(0, len(inputs), BATCH)]
        return [r for rs in await asyncio.gather(*map(one_batch, chunks)) for r in rs]

    async def upsert(self, inputs: list[dict[str, Any]]) -> dict[str, str]:
        """UID -> updatedAt after the upserts."""
        rows = await self._each("upsertStudy", "StudyInput", "studyInstanceUid updatedAt", inputs)
        return {r["studyInstanceUid"]: r["updatedAt"] for r in rows}

    async def publish(self, reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return await self._each("publishReport", "ReportInput", "status text", reports)

    async def sync(self, since: str | None, after: str | None = None, first: int = 500,
                   between_pages: Callable[[], Any] | None = None
                   ) -> tuple[list[tuple[str, str]], str | None]:
        """Pages to the end: (uid, updatedAt) in order, and the cursor to resume from."""
        seen: list[tuple[str, str]] = []
        while True:
            page = (await self.call(SYNC, {"first": first, "after": after, "since": since}))[
                "studies"]
            seen += [(e["node"]["studyInstanceUid"], e["node"]["updatedAt"])
                     for e in page["edges"]]
            after = page["pageInfo"]["endCursor"] or after
            if not page["pageInfo"]["hasNextPage"]:
                return seen, after
            if between_pages is not None:
                await between_pages()


async def check_patient_codes(partner: Partner, browser: Callable[[], httpx.AsyncClient]) -> None:
    """P4: codes for the three verifications; a revoked code's session dies at once."""
    issued = {}
    for n, extra in ((0, {}), (1, {"phoneNumber": "+32470123456"}), (2, {})):
        method = ("DATE_OF_BIRTH_ONLY", "SMS", "TOTP")[n]
        issued[method] = (await partner.call(ISSUE, {"input": {
            "studyInstanceUids": [uid(n)], "verification": method, "scope": "IMAGES_AND_REPORT",
            **extra}}))["issuePatientAccess"]
    assert issued["TOTP"]["totpProvisioningUri"].startswith("otpauth://totp/")
    patient = browser()
    code = issued["DATE_OF_BIRTH_ONLY"]["accessCode"]
    login = {"query": PATIENT_LOGIN, "variables": {"c": code, "d": "1980-02-03"}}
    result = (await patient.post("/graphql", json=login)).json()["data"]["patientLogin"]
    assert result["__typename"] == "LoginSuccess"
    mine = (await patient.post("/graphql", json={"query": MY_STUDIES})).json()
    assert [e["node"]["studyInstanceUid"] for e in mine["data"]["studies"]["edges"]] == [uid(0)]
    for access in issued.values():
        assert (await partner.call(REVOKE, {"id": access["id"]}))["revokePatientAccess"] is True
    after = (await patient.post("/graphql", json={"query": MY_STUDIES})).json()
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    again = (await browser().post("/graphql", json=login)).json()["data"]["patientLogin"]
    assert again == {"__typename": "LoginFailed", "reason": "ACCESS_EXPIRED"}


async def run(partner: Partner, browser: Callable[[], httpx.AsyncClient], studies: int = 1000,
              log: Callable[[str], None] = lambda line: None) -> dict[str, float]:
    """The whole script; returns the seconds each step took."""
    times: dict[str, float] = {}
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        times[name] = time.perf_counter() - clock
        log(f"{name}: {times[name]:.1f} s")
        clock = time.perf_counter()

    inputs = [study_input(n) for n in range(studies)]
    reports = [report_input(n, "FINAL", f"Report {n}.") for n in range(studies)]
    assert len(await partner.upsert(inputs)) == studies
    assert {r["status"] for r in await partner.publish(reports)} == {"FINAL"}
    state, _ = await partner.sync(None)
    assert len(state) == studies
    step("create")

    resent = await partner.upsert(inputs)  # P3: nothing changes, updatedAt stays
    assert resent == dict(state)
    assert {r["status"] for r in await partner.publish(reports)} == {"FINAL"}
    assert (await partner.sync(None))[0] == state
    step("re-send")

    mark = state[studies // 3][1]  # the previous sync stopped a third of the way
    since_mark = {u for u, at in state if _time(at) >= _time(mark)}
    amended = random.Random(1).sample(range(studies), 10)
    assert {r["status"] for r in await partner.publish(
        [report_input(n, "AMENDED", f"Amended {n}.") for n in amended])} == {"AMENDED"}
    await check_patient_codes(partner, browser)
    step("amend and codes")

    seen = await _sync_while_upserting(partner, mark, studies)
    assert since_mark | {uid(n) for n in amended} <= seen
    step("sync")
    return times


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _sync_while_upserting(partner: Partner, mark: str, studies: int) -> set[str]:
    """P2: a walk from the mark, in pages of 500, beside a writer; returns the UIDs seen."""
    stop = asyncio.Event()
    written: set[str] = set()
    rng = random.Random(2)

    async def writer() -> None:
        round_ = 0
        while not stop.is_set():
            round_ += 1
            numbers = rng.sample(range(studies + 100), BATCH)  # old studies and new ones
            written.update(await partner.upsert(
                [study_input(n, description=f"Revised {round_}") for n in numbers]))

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.2)  # the writer is under way before the first page
    seen, cursor = await partner.sync(mark, between_pages=lambda: asyncio.sleep(0.1))
    stop.set()
    await task
    more, _ = await partner.sync(mark, after=cursor)  # the next sync resumes at the cursor
    seen_uids = {u for u, _ in seen + more}
    assert written and written <= seen_uids, written - seen_uids
    final, _ = await partner.sync(mark)
    assert {u for u, _ in final} <= seen_uids  # every study updated since the mark, seen
    return seen_uids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--studies", type=int, default=1000)
    args = parser.parse_args()

    async def go() -> None:
        async with httpx.AsyncClient(base_url=args.url) as http:
            await run(Partner(http, args.token), lambda: httpx.AsyncClient(base_url=args.url),
                      args.studies, print)

    asyncio.run(go())


if __name__ == "__main__":
    main()
