"""Opaque global ids (`Node.id`): base64url of "Type:pk"; a malformed id is BAD_USER_INPUT."""

from __future__ import annotations

import base64
import binascii

from resolvers.errors import bad_input

# Primary keys are 32-bit (Tortoise IntField): a larger number is no id, not a database error.
MAX_PK = 2**31 - 1


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(value: str, argument: str = "id") -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        type_name, pk = raw.split(":", 1)
        number = int(pk)
        if not type_name.isalpha() or not 1 <= number <= MAX_PK or pk != str(number):
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_input(argument, "not a valid id") from None
    return type_name, number


def pk_of(value: str, expected_type: str, argument: str = "id") -> int:
    type_name, pk = from_global_id(value, argument)
    if type_name != expected_type:
        raise bad_input(argument, f"not a {expected_type} id")
    return pk
