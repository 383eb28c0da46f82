"""L9 password policy, as register and resetPassword apply it: length, common passwords, username."""

import pytest

from auth.password_policy import common_passwords, password_problem
from models.users import User
from tests import factories as f
from tests.accounts_support import REGISTER, form, smtp_settings
from tests.api import error_codes
from tests.peers import smtp_server

REFUSED = [
    ("11 characters", "x7#kq9!mzp2"),
    ("a common password", "qwerty123456"),
    ("a common password in capitals", "QWERTY123456"),
    ("the username", "my new.doctor@example.be password"),
    ("the local part in another case", "hello NEW.DOCTOR my friend"),
    ("10 kB", "long passphrase " * 640),
]
ACCEPTED = [
    ("12 characters", "x7#kq9!mzp2w"),
    ("128 characters", "correct stapler " * 8),
    ("unicode and spaces", "ĉu vi ŝatas 🍕 kun ananaso?"),
    ("only digits, no composition rules", "918273645546372819"),
]


async def register(api, password):
    return await api.gql(REGISTER, {"input": form(password=password)})


@pytest.mark.parametrize(("case", "password"), REFUSED, ids=[c for c, _ in REFUSED])
async def test_L9_register_refuses_a_password_that_is(api_factory, case, password):
    await f.environment()
    with smtp_server() as peer:
        body = await register(api_factory(**smtp_settings(peer)), password)
    assert error_codes(body) == ["BAD_USER_INPUT"], case
    error = body["errors"][0]
    assert error["extensions"]["argument"] == "input.password"
    assert error["message"].startswith("input.password: ")
    assert peer.messages == [] and await User.all().count() == 0


@pytest.mark.parametrize(("case", "password"), ACCEPTED, ids=[c for c, _ in ACCEPTED])
async def test_L9_register_accepts_a_password_of(api_factory, case, password):
    await f.environment()
    with smtp_server() as peer:
        body = await register(api_factory(**smtp_settings(peer)), password)
    assert not body.get("errors"), (case, body)
    from tests.test_login_password import login

    await User.filter().update(status="ACTIVE")
    assert (await login(api_factory(), "new.doctor@example.be", password))["__typename"] == "LoginSuccess"


def test_L9_the_common_password_list_is_large_and_says_why():
    assert len(common_passwords()) >= 10_000
    assert "1qaz2wsx3edc" in common_passwords()
    assert "common" in password_problem("1qaz2wsx3edc", "an@example.be")
    assert "at least 12" in password_problem("short", "an@example.be")
    assert "username" in password_problem("peeters-2026-secret", "peeters@example.be")
    assert "at most 1024" in password_problem("p" * 1025, "an@example.be")
    assert password_problem("an is a fine passphrase", "an@example.be") is None  # "an" is too short
