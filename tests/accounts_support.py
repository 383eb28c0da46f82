"""Shared steps of the account tests (L9-L11): GraphQL documents, mail links, a signed-in desk."""

from __future__ import annotations

import asyncio
import re
from email.message import Message

from tests import factories as f
from tests.peers import SmtpPeer

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { user { id username displayName status role profession } }
}"""
VERIFY = "mutation($t: String!) { verifyEmail(token: $t) { id username status } }"
APPROVE = "mutation($id: ID!) { approveRegistration(userId: $id) { id status } }"
UNLOCK = "mutation($id: ID!) { unlockUser(userId: $id) { id username } }"
REQUEST_RESET = "mutation($u: String!) { requestPasswordReset(username: $u) }"
RESET = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }"
PENDING = "{ registrationsPendingApproval { id username status } }"
USERS = "query($s: String!, $n: Int) { users(search: $s, first: $n) { id username displayName } }"
HISTORY = "query($n: Int) { loginHistory(first: $n) { at succeeded method ipAddress } }"
NEW_PASSWORD = "a brand new passphrase for the reset"
GOOD_PASSWORD = "lantern orbit velvet 42"


def form(username: str = "new.doctor@example.be", password: str = GOOD_PASSWORD, **extra) -> dict:
    """A valid RegisterInput, with `extra` fields overriding."""
    values = {"username": username, "password": password, "displayName": "Dr. New Doctor",
              "profession": "PHYSICIAN", "phoneNumber": "+32470123456",
              "practitionerNumber": "1-23456-78-901"}
    values.update(extra)
    return values


def smtp_settings(peer: SmtpPeer) -> dict:
    return {"smtp_host": "127.0.0.1", "smtp_port": peer.port}


async def mails_to(peer: SmtpPeer, address: str, count: int = 1, timeout: float = 5) -> list[Message]:
    """Waits until `count` messages reached `address` (some are sent after the response)."""
    for _ in range(int(timeout / 0.02)):
        if len(peer.to(address)) >= count:
            break
        await asyncio.sleep(0.02)
    return peer.to(address)


def token_in(message: Message, page: str) -> str:
    """The token of the `{portal}/{page}?token=...` link in a message body."""
    match = re.search(rf"https://\S+/{page}\?token=([A-Za-z0-9_-]+)", SmtpPeer.body(message))
    assert match, SmtpPeer.body(message)
    return match.group(1)


async def desk_api(api_factory, env, **settings):
    """An Api signed in as a service-desk account (through a real login)."""
    from models.users import AccountRole
    from tests.test_login_password import login

    desk = await f.user(env, "desk@studygate.example", role=AccountRole.SERVICE_DESK)
    api = api_factory(**settings)
    assert (await login(api, desk.username))["__typename"] == "LoginSuccess"
    return api
