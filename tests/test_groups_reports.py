"""G5: a member reports a wrong composition; the administrators and the service desk get it."""

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from models.groups import GroupChange
from tests import factories as f
from tests.api import error_codes
from tests.groups_gql import REPORT, gid, signed_in
from tests.live import free_port
from tests.peers import SmtpPeer, smtp_server

DESK = "desk@studygate.example"


@pytest.fixture
async def practice():
    be = await f.environment("BE")
    people = {n: await f.user(be, f"{n.lower()}@example.be", f"Dr. {n}")
              for n in ("Zoe", "Yves", "Xavier", "Anna", "Eve")}
    group = await f.group(be, "Praktijk Zuid", [(people["Zoe"], True), (people["Yves"], True),
                                                (people["Xavier"], False), (people["Anna"], False)])
    return dict(be=be, people=people, group=group)


def mail_settings(peer: SmtpPeer) -> dict:
    return dict(smtp_host="127.0.0.1", smtp_port=peer.port, service_desk_email=DESK)


async def reporter(api_factory, practice, who: str, peer: SmtpPeer):
    return await signed_in(api_factory, practice["be"], practice["people"][who], **mail_settings(peer))


async def test_G5_anonymous_is_unauthenticated(api, practice):
    body = await api.gql(REPORT, {"g": gid(practice["group"]), "m": "Eve left us."})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_G5_one_e_mail_to_every_administrator_and_the_service_desk(api_factory, practice):
    with smtp_server() as peer:
        api = await reporter(api_factory, practice, "Anna", peer)
        body = await api.data(REPORT, {"g": gid(practice["group"]),
                                       "m": "Xavier retired in June; please remove him."})
        assert body["reportGroupCompositionIssue"] == 3
    assert len(peer.messages) == 1
    message = peer.messages[0]
    assert sorted(message["X-Envelope-To"].split(",")) == sorted(
        ["zoe@example.be", "yves@example.be", DESK])
    assert "Praktijk Zuid" in message["Subject"]
    text = SmtpPeer.body(message)
    assert "Dr. Anna (anna@example.be)" in text  # the reporter
    assert "Xavier retired in June; please remove him." in text  # the message
    composition = text[text.index("Current composition"):]  # ordered as in G2
    assert [line.split(" (")[0] for line in composition.splitlines() if line.startswith("- ")] == [
        "- Dr. Zoe", "- Dr. Yves", "- Dr. Anna", "- Dr. Xavier"]
    assert "- Dr. Zoe (zoe@example.be): primary contact, administrator" in composition
    record = await GroupChange.get(action="ISSUE_REPORTED")
    assert (record.actor_id, record.group_id) == (practice["people"]["Anna"].id, practice["group"].id)


async def test_G5_an_administrator_reporting_is_e_mailed_once(api_factory, practice):
    with smtp_server() as peer:
        api = await reporter(api_factory, practice, "Zoe", peer)
        assert (await api.data(REPORT, {"g": gid(practice["group"]), "m": "x"}))[
            "reportGroupCompositionIssue"] == 3
    assert len(peer.messages) == 1


async def test_G5_others_do_not_find_the_group(api_factory, practice):
    nl = await f.environment("NL")
    dutch = await f.user(nl, "anna@example.be", "Dutch Anna")  # same username, other environment
    with smtp_server() as peer:
        for api in (await reporter(api_factory, practice, "Eve", peer),
                    # The Netherlands' server, on the same database, asked for a Belgian group.
                    await signed_in(api_factory, nl, dutch, environment="NL",
                                    **mail_settings(peer))):
            body = await api.gql(REPORT, {"g": gid(practice["group"]), "m": "Let me in."})
            assert body["data"] is None and error_codes(body) == ["NOT_FOUND"]
    assert peer.messages == []


@pytest.mark.parametrize("message", ["", "   \n ", "x" * 2001])
async def test_G5_the_message_has_1_to_2000_characters(api_factory, practice, message):
    with smtp_server() as peer:
        api = await reporter(api_factory, practice, "Anna", peer)
        body = await api.gql(REPORT, {"g": gid(practice["group"]), "m": message})
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["argument"] == "message"
        assert (await api.data(REPORT, {"g": gid(practice["group"]), "m": "y" * 2000}))[
            "reportGroupCompositionIssue"] == 3
    assert len(peer.messages) == 1 and "y" * 2000 in SmtpPeer.body(peer.messages[0])


async def test_G5_five_reports_a_day_then_rate_limited_until_the_first_is_24_hours_old(
        api_factory, practice):
    start = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    variables = {"g": gid(practice["group"]), "m": "Wrong again."}
    with smtp_server() as peer, time_machine.travel(start, tick=False) as clock:
        api = await reporter(api_factory, practice, "Anna", peer)
        for _ in range(5):
            await api.data(REPORT, variables)
            clock.shift(timedelta(minutes=10))
        refused = await api.gql(REPORT, variables)
        assert error_codes(refused) == ["RATE_LIMITED"]
        extensions = refused["errors"][0]["extensions"]
        assert datetime.fromisoformat(extensions["resetAt"]) == start + timedelta(hours=24)
        assert extensions["retryAfterSeconds"] == 24 * 3600 - 50 * 60
        # Another member has his own five.
        other = await reporter(api_factory, practice, "Xavier", peer)
        await other.data(REPORT, variables)
        clock.move_to(start + timedelta(hours=24) - timedelta(seconds=1))
        api = await reporter(api_factory, practice, "Anna", peer)
        assert error_codes(await api.gql(REPORT, variables)) == ["RATE_LIMITED"]
        clock.move_to(start + timedelta(hours=24))
        assert (await api.data(REPORT, variables))["reportGroupCompositionIssue"] == 3
        assert error_codes(await api.gql(REPORT, variables)) == ["RATE_LIMITED"]
    assert len(peer.messages) == 7


async def test_G5_a_report_that_could_not_be_sent_is_an_error_and_does_not_count(
        api_factory, practice):
    closed = dict(smtp_host="127.0.0.1", smtp_port=free_port(), service_desk_email=DESK)
    api = await signed_in(api_factory, practice["be"], practice["people"]["Anna"], **closed)
    body = await api.gql(REPORT, {"g": gid(practice["group"]), "m": "Nobody listens."})
    assert body["data"] is None and error_codes(body) == ["INTERNAL"]
    assert "could not be sent" in body["errors"][0]["message"]
    assert not await GroupChange.filter(action="ISSUE_REPORTED").exists()
