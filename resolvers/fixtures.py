"""Load a data file (HTTP.md, "Data file"): validate it, resolve its references, write it at once.

Three steps, so that a bad file changes nothing and names every entry and field at fault:
1. `FixtureFile` (pydantic) checks shapes and values;
2. `fixture_references.References` checks references and duplicates (file and database);
3. `fixture_writer.write_fixture` inserts everything inside one transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.crypto import Keyring, hash_password_async
from resolvers.fixture_references import References, read_stored_rows
from resolvers.fixture_schema import SECRET_FIELDS, TOP_LEVEL_KEYS, FixtureFile
from resolvers.fixture_values import show
from resolvers.fixture_writer import Known, add_months, write_fixture

__all__ = ["FixtureError", "add_months", "load_fixtures"]

_MAX_LISTED_PROBLEMS = 25


class FixtureError(Exception):
    """A data file that cannot be loaded; `problems` holds one "path: what is wrong" line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        listed = self.problems[:_MAX_LISTED_PROBLEMS]
        if len(self.problems) > len(listed):
            listed.append(f"... and {len(self.problems) - len(listed)} more problems")
        super().__init__("\n".join(listed))


async def load_fixtures(data: Any, keyring: Keyring, now: datetime | None = None) -> dict[str, int]:
    """Load a parsed data file (the JSON value) into the database, all or nothing.

    `now` (timezone-aware, default: the current time) stands for the load time: default
    `confirmedAt`, `createdAt`/`updatedAt`, default `validUntil` (now + 1 month).
    Returns the number of entries loaded per top-level key. Raises FixtureError, and writes
    nothing, when any entry is invalid, refers to something unknown or duplicates a record.
    """
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    fixture = parse_fixture(data)
    known = await _check_against_database(fixture, keyring, now)
    password_hashes = await _hash_passwords([user.password for user in fixture.users])
    try:
        async with in_transaction() as connection:
            await write_fixture(fixture, known, password_hashes, keyring, now, connection)
    except IntegrityError as exc:
        # Only a concurrent writer gets here: the checks above saw no duplicate.
        raise FixtureError([f"the database refused the data, nothing was loaded: {exc}"]) from exc
    return {
        field.alias or name: len(getattr(fixture, name))
        for name, field in FixtureFile.model_fields.items()
    }


def parse_fixture(data: Any) -> FixtureFile:
    """Validate the shape and values of a data file; raise FixtureError naming each bad field."""
    if not isinstance(data, dict):
        raise FixtureError(
            [f"the data file must be a JSON object with keys among {', '.join(TOP_LEVEL_KEYS)}"]
        )
    try:
        return FixtureFile.model_validate(data)
    except ValidationError as exc:
        raise FixtureError([_describe(error) for error in exc.errors()]) from None


def _path(loc: Iterable[int | str]) -> str:
    """("studies", 3, "studyDate") -> "studies[3].studyDate"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


_EXPECTED = {
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "dict_type": "expected an object",
}


def _describe(error: ErrorDetails) -> str:
    """One pydantic error as "path: message", in the file's own terms."""
    kind, loc = error["type"], error["loc"]
    if kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "value_error":
        message = error["msg"].removeprefix("Value error, ")
    else:
        message = _EXPECTED.get(kind) or error["msg"].replace("Input should be", "expected")
        message = message[0].lower() + message[1:]
        if not SECRET_FIELDS.intersection(str(part) for part in loc):
            message += f", got {show(error['input'])}"
    return f"{_path(loc)}: {message}"


async def _hash_passwords(passwords: list[str]) -> list[str]:
    """argon2id in the server's password threads (auth.crypto), as many at a time as it has:
    each hash takes ~0.1 s and 64 MiB."""
    return list(await asyncio.gather(*(hash_password_async(p) for p in passwords)))


async def _check_against_database(
    fixture: FixtureFile, keyring: Keyring, now: datetime
) -> Known:
    """Resolve every reference and find every duplicate; raise FixtureError listing them all."""
    stored = await read_stored_rows(fixture, keyring)
    references = References(fixture, stored, keyring, now)
    problems = references.check()
    if problems:
        raise FixtureError(problems)
    return references.known
