"""The password policy of registration and reset (L9, L10): length, common passwords, username.
Resolvers turn a refusal into BAD_USER_INPUT (resolvers.registration_input.check_password).

No composition rules: any characters count, spaces and unicode included. Common passwords come
from the 30,000-entry password frequency list shipped by the maintained `zxcvbn` package
(Dropbox's list, compiled from leaked password sets).
"""

from __future__ import annotations

from functools import lru_cache

MIN_LENGTH = 12
# Login refuses longer ones (resolvers.login.MAX_PASSWORD_LENGTH): they could not sign in.
MAX_LENGTH = 1024
# A local part as short as "an" would refuse too many good passwords; the username still counts.
MIN_LOCAL_PART = 3


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The common-password list, lower-cased; loaded once, on first use."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"])


def password_problem(password: str, username: str) -> str | None:
    """Why `password` may not be used by the account `username`; None when it may."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    folded = password.casefold()
    if folded in common_passwords() or folded.strip() in common_passwords():
        return "is one of the most common passwords; choose another"
    name = username.strip().casefold()
    local_part = name.rsplit("@", 1)[0]
    if (name and name in folded) or (len(local_part) >= MIN_LOCAL_PART and local_part in folded):
        return "must not contain your username"
    return None

