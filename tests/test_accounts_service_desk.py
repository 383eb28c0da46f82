"""The service desk's account tools: approveRegistration (L9), unlockUser (L3), the user lists."""

import uuid

import pytest

from models.users import AccountRole, AccountStatus, User
from schema.ids import to_global_id
from tests import factories as f
from tests.accounts_support import APPROVE, PENDING, UNLOCK, USERS
from tests.api import error_codes
from tests.test_login_password import login
from tests.test_login_throttle import fail

DESK_ONLY = [
    ("approveRegistration", APPROVE, True),
    ("unlockUser", UNLOCK, True),
    ("registrationsPendingApproval", PENDING, False),
    ("users", USERS, False),
]
IDS = [name for name, _, _ in DESK_ONLY]
REDIS_URL = "redis://127.0.0.1:6379/0"


def variables(target: User, needs_id: bool) -> dict:
    return {"id": to_global_id("User", target.id)} if needs_id else {"s": "", "n": 20}


async def desk(env, api_factory):
    token = await f.session_cookie(env, await f.user(env, "desk@studygate.example",
                                                      role=AccountRole.SERVICE_DESK))
    return api_factory().with_session(token)


@pytest.mark.parametrize(("name", "document", "needs_id"), DESK_ONLY, ids=IDS)
async def test_L9_anonymous_callers_are_UNAUTHENTICATED(api, name, document, needs_id):
    env = await f.environment()
    target = await f.user(env, status=AccountStatus.PENDING_APPROVAL)
    body = await api.gql(document, variables(target, needs_id))
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert (await User.get(id=target.id)).status == AccountStatus.PENDING_APPROVAL


@pytest.mark.parametrize(("name", "document", "needs_id"), DESK_ONLY, ids=IDS)
async def test_L9_practitioners_patients_and_api_clients_are_FORBIDDEN(
    api_factory, name, document, needs_id
):
    env = await f.environment()
    target = await f.user(env, status=AccountStatus.PENDING_APPROVAL)
    inst = await f.institution(env)
    doctor = api_factory().with_session(await f.session_cookie(env, await f.user(env)))
    patient = api_factory().with_session(
        await f.session_cookie(env, access=await f.patient_access(inst, [])))
    _, token = await f.api_client(inst, "studies:read,studies:write,reports:read,patient-access:write")
    partner = api_factory().with_token(token)
    for caller in (doctor, patient, partner):
        assert error_codes(await caller.gql(document, variables(target, needs_id))) == ["FORBIDDEN"]
    assert (await User.get(id=target.id)).status == AccountStatus.PENDING_APPROVAL


@pytest.mark.parametrize("name", ["approveRegistration", "unlockUser"])
async def test_A6_a_user_of_another_environment_is_NOT_FOUND(api_factory, name):
    env = await f.environment()
    nl = await f.environment("NL")
    foreign = await f.user(nl, "nl@example.nl", status=AccountStatus.PENDING_APPROVAL)
    document = APPROVE if name == "approveRegistration" else UNLOCK
    api = await desk(env, api_factory)
    body = await api.gql(document, {"id": to_global_id("User", foreign.id)})
    assert error_codes(body) == ["NOT_FOUND"]
    missing = await api.gql(document, {"id": to_global_id("User", 99999)})
    assert error_codes(missing) == ["NOT_FOUND"]
    assert (await User.get(id=foreign.id)).status == AccountStatus.PENDING_APPROVAL


async def test_L9_only_a_registration_pending_approval_can_be_approved(api_factory):
    env = await f.environment()
    api = await desk(env, api_factory)
    for status in (AccountStatus.PENDING_EMAIL_VERIFICATION, AccountStatus.ACTIVE,
                   AccountStatus.DISABLED):
        target = await f.user(env, status=status)
        body = await api.gql(APPROVE, {"id": to_global_id("User", target.id)})
        assert error_codes(body) == ["CONFLICT"], status
        assert (await User.get(id=target.id)).status == status
    assert error_codes(await api.gql(APPROVE, {"id": "garbage"})) == ["BAD_USER_INPUT"]


async def test_L9_registrations_pending_approval_lists_this_environments_only(api_factory):
    env = await f.environment()
    nl = await f.environment("NL")
    waiting = await f.user(env, "waiting@example.be", status=AccountStatus.PENDING_APPROVAL)
    await f.user(env, "unverified@example.be", status=AccountStatus.PENDING_EMAIL_VERIFICATION)
    await f.user(env, "active@example.be")
    await f.user(nl, "nl.waiting@example.nl", status=AccountStatus.PENDING_APPROVAL)
    listed = (await (await desk(env, api_factory)).data(PENDING))["registrationsPendingApproval"]
    assert listed == [{"id": to_global_id("User", waiting.id), "username": "waiting@example.be",
                       "status": "PENDING_APPROVAL"}]


async def test_L9_users_finds_by_username_or_name_in_this_environment(api_factory):
    env = await f.environment()
    nl = await f.environment("NL")
    await f.user(env, "an.peeters@example.be", "Dr. An Peeters")
    await f.user(env, "bart@example.be", "Dr. Bart PEETERS")
    await f.user(env, "chloe@example.be", "Dr. Chloé Maes")
    await f.user(nl, "peeters@example.nl", "Dr. Peeters NL")
    api = await desk(env, api_factory)

    async def names(search, first=20):
        found = (await api.data(USERS, {"s": search, "n": first}))["users"]
        return [u["username"] for u in found]

    assert await names("peeters") == ["an.peeters@example.be", "bart@example.be"]
    assert await names("chloé MAES") == ["chloe@example.be"]  # SQLite folds ASCII case only
    assert await names("peeters", 1) == ["an.peeters@example.be"]
    assert await names("%") == [] and await names("_") == []  # no SQL wildcards
    assert len(await names("")) == 4  # everyone here, the desk included
    for first in (0, 101, -1):
        body = await api.gql(USERS, {"s": "peeters", "n": first})
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["argument"] == "first"


async def test_L3_unlock_user_lifts_a_lockout(api_factory):
    env = await f.environment()
    doctor = await f.user(env, "an@example.be")
    browser = api_factory()
    await fail(browser, "an@example.be", 10)
    assert (await login(browser, "an@example.be"))["reason"] == "TOO_MANY_ATTEMPTS"
    unlocked = await (await desk(env, api_factory)).data(UNLOCK, {"id": to_global_id("User", doctor.id)})
    assert unlocked["unlockUser"]["username"] == "an@example.be"
    assert (await login(browser, "an@example.be"))["__typename"] == "LoginSuccess"


async def test_L3_unlock_user_works_with_redis_counters(api_factory):
    import redis

    env = await f.environment()
    doctor = await f.user(env, f"redis-{uuid.uuid4().hex[:8]}@example.be")
    settings = {"redis_url": REDIS_URL}
    browser = api_factory(**settings)
    token = await f.session_cookie(env, await f.user(env, "desk@studygate.example",
                                                      role=AccountRole.SERVICE_DESK))
    desk_redis = api_factory(**settings).with_session(token)
    # Every test's failures come from 127.0.0.1: this test starts and leaves this run's
    # per-address L3 counter clean, as a fresh Redis would be.
    from tests.api import REDIS_PREFIX

    address_keys = (f"{REDIS_PREFIX}:fail:ip:127.0.0.1", f"{REDIS_PREFIX}:lock:ip:127.0.0.1")
    redis.Redis.from_url(REDIS_URL).delete(*address_keys)
    try:
        await fail(browser, doctor.username, 10)
        assert (await login(browser, doctor.username))["reason"] == "TOO_MANY_ATTEMPTS"
        await desk_redis.data(UNLOCK, {"id": to_global_id("User", doctor.id)})
        assert (await login(browser, doctor.username))["__typename"] == "LoginSuccess"
    finally:
        redis.Redis.from_url(REDIS_URL).delete(*address_keys)
