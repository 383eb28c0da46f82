"""L9 registration: register, verify the e-mail address, approval by the service desk, sign-in."""

from datetime import timedelta

import time_machine

from models.challenges import EmailToken
from models.users import AccountRole, AccountStatus, Profession, User
from tests import factories as f
from tests.accounts_support import (
    APPROVE, GOOD_PASSWORD, REGISTER, VERIFY, desk_api, form, mails_to, smtp_settings, token_in,
)
from tests.api import error_codes
from tests.live import free_port
from tests.peers import smtp_server
from tests.test_login_password import login


async def register(api, **values):
    return await api.gql(REGISTER, {"input": form(**values)})


async def test_L9_anonymous_registers_verifies_is_approved_and_signs_in(api_factory):
    env = await f.environment()
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        registered = (await register(api))["data"]["register"]["user"]
        assert registered["status"] == "PENDING_EMAIL_VERIFICATION"
        assert (registered["role"], registered["profession"]) == ("PRACTITIONER", "PHYSICIAN")
        assert (await login(api, "new.doctor@example.be", GOOD_PASSWORD))["reason"] == "ACCOUNT_PENDING"

        [mail] = await mails_to(peer, "new.doctor@example.be")
        assert "https://be.studygate.example/verify-email?token=" in peer.body(mail)
        verified = (await api.data(VERIFY, {"t": token_in(mail, "verify-email")}))["verifyEmail"]
        assert verified == {"id": registered["id"], "username": "new.doctor@example.be",
                            "status": "PENDING_APPROVAL"}
        assert (await login(api, "new.doctor@example.be", GOOD_PASSWORD))["reason"] == "ACCOUNT_PENDING"

        desk = await desk_api(api_factory, env, **smtp_settings(peer))
        approved = (await desk.data(APPROVE, {"id": registered["id"]}))["approveRegistration"]
        assert approved["status"] == "ACTIVE"
        [*_, active_mail] = await mails_to(peer, "new.doctor@example.be", 2)
        assert "approved" in peer.body(active_mail)

        signed_in = await login(api, "NEW.DOCTOR@example.be", GOOD_PASSWORD)
        assert signed_in["__typename"] == "LoginSuccess"
        assert signed_in["viewer"]["status"] == "ACTIVE"


async def test_L9_the_account_is_stored_normalized_in_the_served_environment(api_factory):
    env = await f.environment()
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        body = await register(api, username=" Jan.Smit@EXAMPLE.BE ", phoneNumber="0470 12 34 56",
                              practitionerNumber=None, profession="DENTIST")
    assert not body.get("errors"), body
    user = await User.get(username_key="jan.smit@example.be")
    assert (user.environment_id, user.username, user.email) == (env.id, "Jan.Smit@example.be",
                                                                "Jan.Smit@example.be")
    assert (user.role, user.status, user.profession) == (
        AccountRole.PRACTITIONER, AccountStatus.PENDING_EMAIL_VERIFICATION, Profession.DENTIST)
    assert user.phone_number == "+32470123456"  # national format read in the BE environment
    assert user.practitioner_number is None
    assert user.password_hash.startswith("$argon2id$")
    token = await EmailToken.get(user_id=user.id)
    assert token.expires_at - token.created_at == timedelta(hours=24)
    assert token.token_hash not in peer.body(peer.messages[0])  # only the hash is stored


async def test_L9_a_taken_username_is_CONFLICT_whatever_its_case(api_factory):
    env = await f.environment()
    await f.user(env, "an.peeters@example.be")
    with smtp_server() as peer:
        body = await register(api_factory(**smtp_settings(peer)), username="AN.Peeters@example.be")
    assert error_codes(body) == ["CONFLICT"]
    assert peer.messages == []
    assert await User.filter(username_key="an.peeters@example.be").count() == 1


async def test_A6_the_same_username_in_another_environment_is_another_account(api_factory):
    await f.environment()
    nl = await f.environment("NL")
    await f.user(nl, "new.doctor@example.be")
    with smtp_server() as peer:
        body = await register(api_factory(**smtp_settings(peer)))
    assert body["data"]["register"]["user"]["status"] == "PENDING_EMAIL_VERIFICATION"
    assert await User.filter(username_key="new.doctor@example.be").count() == 2


async def test_S3_malformed_e_mail_addresses_are_BAD_USER_INPUT_and_write_nothing(api_factory):
    await f.environment()
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        for bad in ["not-an-e-mail", "an@", "@example.be", "an@@example.be", "an peeters@example.be",
                    "an@localhost", "", "x" * 250 + "@example.be"]:
            body = await register(api, username=bad)
            assert error_codes(body) == ["BAD_USER_INPUT"], bad
            assert body["errors"][0]["extensions"]["argument"] == "input.username"
    assert peer.messages == [] and await User.all().count() == 0
    assert await EmailToken.all().count() == 0


async def test_S3_malformed_phone_numbers_are_BAD_USER_INPUT_and_write_nothing(api_factory):
    await f.environment()
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        for bad in ["123", "+32 470", "call me", "+999123456789", "+3247012345678901234", "9" * 50]:
            body = await register(api, phoneNumber=bad)
            assert error_codes(body) == ["BAD_USER_INPUT"], bad
            assert body["errors"][0]["extensions"]["argument"] == "input.phoneNumber"
    assert peer.messages == [] and await User.all().count() == 0


async def test_S3_display_name_and_practitioner_number_are_checked(api_factory):
    await f.environment()
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        for field, bad in [("displayName", "  "), ("displayName", "x" * 201),
                           ("displayName", "Dr.\x00Evil"), ("practitionerNumber", "<script>"),
                           ("practitionerNumber", "1" * 51)]:
            body = await register(api, **{field: bad})
            assert error_codes(body) == ["BAD_USER_INPUT"], (field, bad)
            assert body["errors"][0]["extensions"]["argument"] == f"input.{field}"
        ok = await register(api, displayName="x" * 200)
    assert not ok.get("errors")
    assert await User.all().count() == 1


async def test_L9_the_verification_link_works_once(api_factory):
    await f.environment()
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        await register(api)
        token = token_in(peer.messages[0], "verify-email")
        assert (await api.data(VERIFY, {"t": token}))["verifyEmail"]["status"] == "PENDING_APPROVAL"
        replay = await api.gql(VERIFY, {"t": token})
    assert error_codes(replay) == ["BAD_USER_INPUT"]
    assert replay["errors"][0]["extensions"]["argument"] == "token"


async def test_L9_the_verification_link_expires_after_24_hours(api_factory):
    await f.environment()
    with smtp_server() as peer, time_machine.travel(f.utcnow(), tick=False) as clock:
        api = api_factory(**smtp_settings(peer))
        await register(api)
        token = token_in(peer.messages[0], "verify-email")
        clock.shift(timedelta(hours=24, seconds=1))
        expired = await api.gql(VERIFY, {"t": token})
    assert error_codes(expired) == ["BAD_USER_INPUT"]
    assert (await User.get()).status == AccountStatus.PENDING_EMAIL_VERIFICATION


async def test_L9_unknown_tampered_and_foreign_links_are_refused(api_factory):
    await f.environment()
    await f.environment("NL")
    with smtp_server() as peer:
        await register(api_factory(**smtp_settings(peer)))
        token = token_in(peer.messages[0], "verify-email")
        nl = api_factory(environment="NL")
        be = api_factory()
        for api, bad in [(nl, token), (be, token[:-1]), (be, "x" * 5000), (be, "")]:
            assert error_codes(await api.gql(VERIFY, {"t": bad})) == ["BAD_USER_INPUT"]
    assert (await User.get()).status == AccountStatus.PENDING_EMAIL_VERIFICATION


async def test_L9_an_unverified_registration_whose_link_expired_frees_the_username(api_factory):
    await f.environment()
    with smtp_server() as peer, time_machine.travel(f.utcnow(), tick=False) as clock:
        api = api_factory(**smtp_settings(peer))
        first = (await register(api))["data"]["register"]["user"]
        assert error_codes(await register(api)) == ["CONFLICT"]  # its link is still alive
        clock.shift(timedelta(hours=25))
        again = (await register(api, displayName="Dr. Real Owner"))["data"]["register"]["user"]
        assert again["id"] == first["id"] and again["displayName"] == "Dr. Real Owner"
        old, new = token_in(peer.messages[0], "verify-email"), token_in(peer.messages[1], "verify-email")
        assert error_codes(await api.gql(VERIFY, {"t": old})) == ["BAD_USER_INPUT"]
        assert (await api.data(VERIFY, {"t": new}))["verifyEmail"]["status"] == "PENDING_APPROVAL"


async def test_L9_when_the_e_mail_cannot_be_sent_nothing_is_kept(api_factory):
    await f.environment()
    api = api_factory(smtp_host="127.0.0.1", smtp_port=free_port())  # nobody listens there
    body = await register(api)
    assert error_codes(body) == ["INTERNAL"]
    assert await User.all().count() == 0 and await EmailToken.all().count() == 0


async def test_L9_one_address_registers_at_most_10_accounts_an_hour(api_factory):
    await f.environment()
    with smtp_server() as peer:
        api = api_factory(**smtp_settings(peer))
        for i in range(10):
            assert not (await register(api, username=f"doc{i}@example.be")).get("errors")
        body = await register(api, username="doc10@example.be")
    assert error_codes(body) == ["RATE_LIMITED"]
    assert body["errors"][0]["extensions"]["retryAfterSeconds"] > 0
    assert await User.all().count() == 10

